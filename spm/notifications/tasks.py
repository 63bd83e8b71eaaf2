from spm.tenancy.models import Tenant
from spm.tenancy.tasks_base import tenant_task

from .services import notifications_email


@tenant_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def email_notifications(tenant: Tenant, notification_ids: list[int]) -> int:
    return notifications_email(tenant=tenant, notification_ids=notification_ids)
