"""Roll down every quota to its daily and weekly targets now, as the background job does.

``rolldown_quotas`` works on every active organisation, ``--tenant SLUG`` on one. The
quotas' attainment is recomputed after their rolldown, like the job does. Idempotent:
running it again writes the same rows.
"""

from django.core.management.base import BaseCommand, CommandError

from quotas.services.attainment import attainment_compute
from quotas.services.rolldown import quotas_roll_down
from spm.tenancy.context import tenant_context
from spm.tenancy.models import Tenant


def counted(count: int, noun: str) -> str:
    """``1 quota``, ``2,000 quotas``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def organisations(slug: str | None) -> list[Tenant]:
    """The organisation named by ``slug``, or every active one."""
    # Organisations are not tenant-owned rows: listing them crosses no tenant wall.
    if slug is None:
        return list(Tenant.objects.filter(is_active=True).order_by("slug"))
    tenant = Tenant.objects.filter(slug=slug.strip()).first()
    if tenant is None:
        raise CommandError(f"No organisation with the slug {slug!r}.")
    if not tenant.is_active:
        raise CommandError(f"The organisation {tenant.slug!r} is deactivated.")
    return [tenant]


class Command(BaseCommand):
    help = "Roll down quotas to daily and weekly targets (every organisation, or --tenant)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", help="The organisation's slug (default: all).")

    def handle(self, *args, tenant: str | None = None, **options) -> None:
        for organisation in organisations(tenant):
            with tenant_context(organisation):
                rolled = quotas_roll_down(tenant=organisation)
                computed = (
                    attainment_compute(tenant=organisation, quota_ids=rolled.quota_ids)
                    if rolled.quota_ids
                    else None
                )
            self.stdout.write(
                f"{organisation.slug}: {counted(rolled.quotas, 'quota')} rolled down "
                f"({rolled.daily_rows:,} daily and {rolled.weekly_rows:,} weekly targets, "
                f"{rolled.no_capacity:,} without capacity); attainment of "
                f"{counted(computed.quotas if computed else 0, 'quota')} recomputed."
            )
