"""Compute quota attainment now, as the nightly job does, and snapshot the day.

``compute_attainment`` works on every active organisation, ``--tenant SLUG`` on one;
``--as-of YYYY-MM-DD`` (default: each organisation's today) picks the date, and so the
month, whose quotas are computed. Idempotent: running it again writes the same rows.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from quotas.services.attainment import attainment_compute
from spm.inputs import EARLIEST_DATE, LATEST_DATE
from spm.tenancy.context import tenant_context

from .rolldown_quotas import counted, organisations


def iso_date(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of takes a date as YYYY-MM-DD, not {value!r}.") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CommandError(f"--as-of must be between {EARLIEST_DATE} and {LATEST_DATE}.")
    return day


class Command(BaseCommand):
    help = "Compute quota attainment as of a date (every organisation, or --tenant)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", help="The organisation's slug (default: all).")
        parser.add_argument(
            "--as-of", dest="as_of", help="YYYY-MM-DD (default: the organisation's today)."
        )

    def handle(self, *args, tenant: str | None = None, as_of: str | None = None, **options):
        day = iso_date(as_of) if as_of else None
        for organisation in organisations(tenant):
            with tenant_context(organisation):
                result = attainment_compute(tenant=organisation, as_of=day)
            line = (
                f"{organisation.slug}: attainment of {counted(result.quotas, 'quota')} as of "
                f"{result.as_of.isoformat()} ({counted(result.snapshots, 'snapshot')}, "
                f"{result.notified:,} notified)"
            )
            if result.no_source:
                line += (
                    f"; {result.no_source:,} skipped, no data source for "
                    f"{', '.join(result.no_source_metrics)}"
                )
            self.stdout.write(line + ".")
