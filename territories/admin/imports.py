"""Importing accounts from CSV: the upload page, each import's page (its progress, then
its result) and the list of imports.

The upload page checks the file as a whole at once and refuses, with nothing recorded, a
file the import cannot take; otherwise it records the import (``account_imports``) and
sends the admin to the import's page. That page shows the result of a small file at once
and follows a big one, asking for its status every second with htmx until it finished.
"""

from dataclasses import dataclass

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from spm.tenancy.admin_base import TenantScopedAdmin, is_platform_superuser

from ..account_imports import account_import_submit
from ..csv_io import COLUMNS, REQUIRED, ImportRejected, RowError
from ..forms import AccountsImportForm
from ..models import AccountImport
from ..services import account_import_retry

Status = AccountImport.Status
Step = AccountImport.Step

# How much of an import each step is, in percent of the whole, as measured on PostgreSQL
# updating and moving 100,000 accounts in 15 s (checking the cells 1.5 s, locking and
# reading the accounts 4 s, writing them 4.5 s, the history, the reps' notices and the
# commit 5 s): the bar moves at about the same pace throughout.
STEP_WEIGHTS = {Step.CHECK: 10, Step.READ: 25, Step.WRITE: 30, Step.RECORD: 35}
STEP_UNITS = {Step.CHECK: "rows", Step.READ: "accounts", Step.WRITE: "accounts"}
# The upload page lists this many of the latest imports.
RECENT = 5

COLUMN_HELP = {
    "external_id": "The account's id in your CRM. Rows are matched on it: "
    "a known id updates that account, a new one creates an account.",
    "name": "The account's name.",
    "industry": "Free text, e.g. Software.",
    "country": "Two-letter country code, e.g. US or DE.",
    "region": "State, province or region, e.g. CA.",
    "postal_code": "Postal code, e.g. 94105.",
    "annual_potential": "Yearly revenue the account could bring, e.g. 125000.50. "
    "Empty keeps the current amount.",
    "territory": "A territory's name, as in the territory list (case does not matter). "
    "Empty leaves an existing account where it is and a new one unassigned.",
}


def _plural(count: int, word: str = "account") -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def outcome(job: AccountImport) -> str:
    """One sentence: what the import did, or why it did nothing."""
    if job.status == Status.DONE:
        return (
            f"{job.accounts_created:,} created, {job.accounts_updated:,} updated, "
            f"{_plural(job.accounts_moved)} placed in a territory, "
            f"{job.accounts_unchanged:,} unchanged."
        )
    if job.status == Status.REJECTED:
        return f"Nothing was imported: {_plural(job.error_count, 'problem')} in the file."
    return ""


@dataclass(frozen=True)
class ImportState:
    """What the import's page shows, worked out from the record."""

    job: AccountImport
    stopped: bool  # Failed, or running with its worker gone.
    finished: bool
    step_number: int
    step_label: str
    percent: int
    errors: list[str]  # As “Row 3, column “territory”: …”.
    can_retry: bool

    @property
    def more_errors(self) -> int:
        return self.job.error_count - len(self.errors)

    @property
    def step_count(self) -> int:
        return len(STEP_WEIGHTS)

    @property
    def step_progress(self) -> str:
        """“30,000 of 40,000 accounts”; empty for the last step, which is one piece."""
        unit = STEP_UNITS.get(self.job.step)
        if not unit:
            return ""
        return f"{self.job.step_done:,} of {self.job.step_total:,} {unit}"

    @property
    def rows(self) -> str:
        return _plural(self.job.rows_total, "row")


def import_state(job: AccountImport) -> ImportState:
    stopped = job.status == Status.FAILED or job.is_stale(timezone.now())
    percent, step_number, step_label = 0, 0, ""
    if job.status == Status.RUNNING and job.step:
        steps = list(STEP_WEIGHTS)
        step_number = steps.index(job.step) + 1
        step_label = Step(job.step).label
        before = sum(STEP_WEIGHTS[step] for step in steps[: step_number - 1])
        share = job.step_done / job.step_total if job.step_total else 0
        percent = min(99, int(before + STEP_WEIGHTS[job.step] * share))
    return ImportState(
        job=job,
        stopped=stopped,
        finished=job.finished or stopped,
        step_number=step_number,
        step_label=step_label,
        percent=percent,
        errors=[str(RowError(**error)) for error in job.errors],
        can_retry=stopped and job.file_cleared_at is None,
    )


@admin.register(AccountImport)
class AccountImportAdmin(TenantScopedAdmin):
    """Every import, latest first; an import's page shows its progress or its result.
    Imports are made by uploading a file (the accounts' “Import CSV” page), never here,
    and are deleted by the hourly tidy-up."""

    list_display = ["created_at", "file_name", "uploaded_by", "rows", "status", "result"]
    list_display_links = ["created_at", "file_name"]
    list_filter = ["status"]
    list_select_related = ["created_by", "tenant"]
    search_fields = ["file_name"]
    list_per_page = 50

    def get_queryset(self, request):
        # The file can weigh 20 MB: no page reads it.
        return super().get_queryset(request).select_related("created_by").defer("content")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Uploaded by", ordering="created_by__email")
    def uploaded_by(self, obj: AccountImport) -> str:
        return str(obj.created_by) if obj.created_by else "—"

    @admin.display(description="Rows", ordering="rows_total")
    def rows(self, obj: AccountImport) -> str:
        return f"{obj.rows_total:,}"

    @admin.display(description="Result")
    def result(self, obj: AccountImport) -> str:
        return outcome(obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="territories_accountimport_retry",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The import's page; to htmx (which asks every second while the import runs),
        only its status."""
        job = self.get_object(request, unquote(object_id))
        state = import_state(job)
        if request.htmx:
            response = TemplateResponse(
                request, "admin/territories/accountimport/_status.html", {"state": state}
            )
        else:
            response = TemplateResponse(
                request,
                "admin/territories/accountimport/page.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.opts,
                    "title": f"Import of {job.file_name}",
                    "state": state,
                },
            )
        patch_vary_headers(response, ["HX-Request"])
        return response

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self.get_object(request, unquote(object_id))
        try:
            account_import_retry(
                tenant=self.operating_tenant(request, job), actor=request.user, job=job
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, "The import starts again.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:territories_accountimport_change", args=[job.pk])
        )


def import_accounts(model_admin, request: HttpRequest) -> HttpResponse:
    """The “Import CSV” page of the accounts: upload a file, then follow its import."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    platform = is_platform_superuser(request)
    errors: list[str] = []
    if request.method == "POST":
        form = AccountsImportForm(request.POST, request.FILES, platform=platform)
        if form.is_valid():
            tenant = form.cleaned_data["tenant"] if platform else request.tenant
            upload = form.cleaned_data["file"]
            try:
                job = account_import_submit(
                    tenant=tenant, actor=request.user, file_name=upload.name, data=upload.read()
                )
            except ImportRejected as rejected:
                errors = [str(error) for error in rejected.errors]
            else:
                _report(model_admin, request, job)
                return HttpResponseRedirect(
                    reverse("admin:territories_accountimport_change", args=[job.pk])
                )
    else:
        form = AccountsImportForm(platform=platform)
    recent = AccountImport.objects.select_related("created_by").defer("content")
    if not platform:
        recent = recent.filter(tenant=request.tenant)
    return TemplateResponse(
        request,
        "admin/territories/import_accounts.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": "Import accounts from a CSV file",
            "form": form,
            "errors": errors,
            "columns": [(name, COLUMN_HELP[name], name in REQUIRED) for name in COLUMNS],
            "header": ",".join(COLUMNS),
            "recent": [(job, outcome(job)) for job in recent[:RECENT]],
        },
    )


def _report(model_admin, request: HttpRequest, job: AccountImport) -> None:
    """The message of an import that finished during the upload (a small file)."""
    job.refresh_from_db(fields=["status", "error_count", *COUNT_FIELDS])
    if job.status == Status.DONE:
        model_admin.message_user(request, f"Import done: {outcome(job)}", messages.SUCCESS)
    elif job.status == Status.REJECTED:
        model_admin.message_user(request, outcome(job), messages.ERROR)


COUNT_FIELDS = ["accounts_created", "accounts_updated", "accounts_unchanged", "accounts_moved"]
