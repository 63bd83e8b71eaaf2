"""factory_boy factories. Tenant-owned factories use ``all_tenants`` so they work outside a scope."""

import datetime as dt

import factory
from allauth.account.models import EmailAddress

from spm.calendars.models import Holiday, TimeOff
from spm.tenancy.models import Invitation, Membership, Role, Tenant
from spm.users.models import User

PASSWORD = "correct-horse-battery"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    timezone = "Europe/Berlin"
    currency = "EUR"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.all_tenants.create(*args, **kwargs)


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.REP
    start_date = dt.date(2024, 1, 1)


class HolidayFactory(TenantOwnedFactory):
    class Meta:
        model = Holiday

    tenant = factory.SubFactory(TenantFactory)
    date = factory.Sequence(lambda n: dt.date(2026, 1, 1) + dt.timedelta(days=n))
    name = factory.Sequence(lambda n: f"Holiday {n}")


class TimeOffFactory(TenantOwnedFactory):
    class Meta:
        model = TimeOff

    member = factory.SubFactory(MembershipFactory)
    tenant = factory.SelfAttribute("member.tenant")
    start = dt.date(2026, 3, 2)
    end = dt.date(2026, 3, 6)
    reason = "Vacation"


class InvitationFactory(TenantOwnedFactory):
    class Meta:
        model = Invitation

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.REP
    start_date = dt.date(2026, 1, 1)
    expires_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=14))
