"""Every write to quotas, sales and seasonality profiles.

Invariants (each module's docstring states its own in full):

- one quota per member, month and metric; amounts in the metric's unit, 0 to
  ``MAX_AMOUNT``; ramps 0–100%; the member employed in the month;
- who writes: admins for everyone; managers for their reporting tree (direct and
  indirect), never for themselves; reps write nothing but acknowledge their own
  published quotas. ``actor`` is the acting ``Membership`` (the platform superuser's
  ``User`` in the admin site acts as an admin);
- a quota's ``version`` counts changes of its figures; each change appends one
  ``QuotaChange`` (not an audit event); a stale version raises ``StaleVersion``
  (``spm.tenancy.versioning``), which the API answers with a 409 and the current object;
- sales are unique per organisation by ``external_id``: writing one again updates it;
- every bulk write is all or nothing and names the cell or row of each problem;
- background work is scheduled on commit, once per call: rolldown for the quotas whose
  figures moved (``quotas.tasks.rolldown_quotas``), attainment for the members and
  months whose sales changed (``quotas.tasks.attainment_for_members``).
"""

from .attainment import attainment_schedule
from .quotas import (
    CellKey,
    QuotaCell,
    QuotaCellsInvalid,
    cell_label,
    fiscal_year_months,
    quota_acknowledge,
    quota_check,
    quota_delete,
    quota_metrics_note,
    quota_save,
    quotas_copy_last_year,
    quotas_publish,
    quotas_save_many,
)
from .sales import (
    SaleRow,
    SaleRowsInvalid,
    SalesResult,
    sale_delete,
    sale_update,
    sale_upsert,
    sales_delete,
    sales_upsert_many,
)
from .seasonality import (
    quotas_spread_annual,
    seasonal_spread,
    seasonality_profile_check,
    seasonality_profile_delete,
    seasonality_profile_save,
    seasonality_shares_check,
)

__all__ = [
    "CellKey",
    "QuotaCell",
    "QuotaCellsInvalid",
    "SaleRow",
    "SaleRowsInvalid",
    "SalesResult",
    "attainment_schedule",
    "cell_label",
    "fiscal_year_months",
    "quota_acknowledge",
    "quota_check",
    "quota_delete",
    "quota_metrics_note",
    "quota_save",
    "quotas_copy_last_year",
    "quotas_publish",
    "quotas_save_many",
    "quotas_spread_annual",
    "sale_delete",
    "sale_update",
    "sale_upsert",
    "sales_delete",
    "sales_upsert_many",
    "seasonal_spread",
    "seasonality_profile_check",
    "seasonality_profile_delete",
    "seasonality_profile_save",
    "seasonality_shares_check",
]
