from django.db.models import QuerySet

from spm.tenancy.models import Membership, Tenant

from .models import Notification


def notifications_for(*, tenant: Tenant, recipient: Membership) -> QuerySet[Notification]:
    return Notification.objects.filter(tenant=tenant, recipient=recipient)


def unread_count(*, tenant: Tenant, recipient: Membership) -> int:
    return (
        notifications_for(tenant=tenant, recipient=recipient).filter(read_at__isnull=True).count()
    )
