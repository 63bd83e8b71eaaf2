"""Issue an API token for one person's membership in one organisation.

Prints only the token, so scripts can capture it: ``TOKEN=$(manage.py issue_api_token …)``.
The token is shown once; only its digest is stored.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from spm.tenancy.context import tenant_context
from spm.tenancy.models import Membership, Tenant
from spm.tenancy.services import api_token_issue


class Command(BaseCommand):
    help = "Issue an API token for a member of an organisation and print it (only the token)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", required=True, help="The member's login email.")
        parser.add_argument("--tenant", required=True, help="The organisation's slug.")
        parser.add_argument("--name", default="", help="A label to recognise the token by.")

    def handle(self, *args, email: str, tenant: str, name: str, **options) -> None:
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the email {email!r}.")
        organisation = Tenant.objects.filter(slug=tenant.strip()).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {tenant!r}.")
        if not organisation.is_active:
            raise CommandError(f"The organisation {organisation.slug!r} is deactivated.")
        with tenant_context(organisation):
            membership = Membership.objects.filter(tenant=organisation, user=user).first()
        if membership is None:
            raise CommandError(f"{user.email} is not a member of {organisation.slug!r}.")
        if membership.end_date is not None and membership.end_date < organisation.today():
            raise CommandError(
                f"{user.email}'s membership of {organisation.slug!r} ended on "
                f"{membership.end_date.isoformat()}."
            )
        if not user.is_active:
            raise CommandError(f"The user {user.email} is deactivated.")
        key = api_token_issue(tenant=organisation, actor=None, membership=membership, name=name)
        self.stdout.write(key)
