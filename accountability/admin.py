"""The accountability admin: review templates with their criteria, and reviews with their
scores to read, for an organisation's admins and the platform superuser.

Every class derives from ``TenantScopedAdmin`` / ``TenantScopedInline``: an organisation's
admin sees only their own organisation's rows; another's is a 404.

A template and its criteria are saved together through ``accountability.services.templates``
(the versioning rules): a version in use (a period it applies to has started) is left as
it is and the changes become the next version, from the next period, which the admin is
told; an upcoming version changes in place. The forms run the service's checks first, so
a mistake shows beside its field and nothing is saved. Templates are never deleted
(switch one off instead: reviews keep the version they used). Reviews and their scores
are read here only; they are written by reviewers and members on the review pages.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from spm.tenancy.admin_base import (
    TenantScopedAdmin,
    TenantScopedInline,
    TenantScopedModelForm,
    adopt_saved,
    is_platform_superuser,
)

from .models import Criterion, Review, ReviewScore, ReviewTemplate
from .services import templates as template_services
from .services.templates import CriterionInput

THRESHOLDS = ["min_for_2", "min_for_3", "min_for_4", "min_for_5"]
CRITERION_FIELDS = ["position", "label", "metric", "weight", *THRESHOLDS, "guidance"]


def acting_as(request: HttpRequest):
    """Who the services see acting: the platform superuser's user, or the admin's membership."""
    return request.user if is_platform_superuser(request) else request.membership


def criterion_input(form: forms.ModelForm) -> CriterionInput:
    data = form.cleaned_data
    return CriterionInput(
        label=data.get("label") or "",
        metric=data.get("metric") or "",
        weight=data.get("weight"),
        guidance=data.get("guidance") or "",
        position=data.get("position"),
        id=form.instance.pk,
        **{name: data.get(name) for name in THRESHOLDS},
    )


def kept_forms(formset) -> list[forms.ModelForm]:
    """The inline's rows that stay: filled in and not marked for deletion, by position."""
    rows = [
        form
        for form in formset.forms
        if hasattr(form, "cleaned_data")
        and form.cleaned_data
        and not form.cleaned_data.get("DELETE")
        and (form.instance.pk or form.has_changed())
    ]
    return sorted(rows, key=lambda form: form.cleaned_data.get("position") or 0)


# --- Criteria ---------------------------------------------------------------------------------


class CriterionForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        if self.errors or cleaned_data.get("DELETE"):
            return cleaned_data
        for field, texts in template_services.criterion_problems(criterion_input(self)).items():
            self.add_error(field if field in self.fields else None, texts)
        return cleaned_data


class CriteriaFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        problems = template_services.criteria_problems(
            [criterion_input(form) for form in kept_forms(self)]
        )
        if problems:
            raise ValidationError(problems)


class CriterionInline(TenantScopedInline):
    model = Criterion
    form = CriterionForm
    formset = CriteriaFormSet
    fields = CRITERION_FIELDS
    extra = 0
    ordering = ["position", "pk"]
    verbose_name_plural = "criteria (scores 2–5 from each minimum; none for manual criteria)"


# --- Templates -------------------------------------------------------------------------------


class ReviewTemplateAdminForm(TenantScopedModelForm):
    pass


@admin.register(ReviewTemplate)
class ReviewTemplateAdmin(TenantScopedAdmin):
    form = ReviewTemplateAdminForm
    inlines = [CriterionInline]
    list_display = ["name", "version", "cadence", "effective_from", "active", "in_use"]
    list_filter = ["cadence", "active"]
    list_select_related = ["tenant"]
    search_fields = ["name"]
    ordering = ["name", "-effective_from"]
    SHOWN = ["version", "effective_from", "state"]

    def get_fields(self, request, obj=None):
        fields = ["name", "cadence", "active"]
        if is_platform_superuser(request):
            fields.insert(0, "tenant")
        return fields + (self.SHOWN if obj is not None else [])

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + (self.SHOWN if obj is not None else [])

    def has_delete_permission(self, request, obj=None):
        return False  # Switch a template off instead: reviews keep the version they used.

    @admin.display(description="In use", boolean=True)
    def in_use(self, template: ReviewTemplate) -> bool:
        return template_services.template_is_locked(tenant=template.tenant, template=template)

    @admin.display(description="Changes")
    def state(self, template: ReviewTemplate) -> str:
        if template_services.template_is_locked(tenant=template.tenant, template=template):
            following = template_services.next_period_start(
                template.cadence, template.tenant.today()
            )
            return (
                "In use: a period it applies to has started. Saving changes leaves this "
                f"version as it is and makes version {template.version + 1}, which applies "
                f"from {following:%-d %b %Y}."
            )
        return "Not in use yet: changes are saved in this version."

    def save_model(self, request, obj, form, change):
        """Saved with its criteria in ``save_related``, through the versioning service."""

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        tenant = self.operating_tenant(request, obj if change else None, form)
        [criteria_formset] = formsets
        criteria = [criterion_input(row) for row in kept_forms(criteria_formset)]
        for formset in formsets:  # The service wrote them; the change message reads these.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        data = form.cleaned_data
        if not change:
            saved = template_services.review_template_create(
                tenant=tenant,
                actor=acting_as(request),
                name=data["name"],
                cadence=data["cadence"],
                active=data.get("active", True),
                criteria=criteria,
            )
            adopt_saved(obj, saved)
            self.message_user(
                request,
                f"“{saved.name}” applies from {saved.effective_from:%-d %b %Y}, the first day "
                "of the next period: everyone can read its criteria before it applies.",
                messages.INFO,
            )
            return
        original = ReviewTemplate.objects.get(tenant=tenant, pk=obj.pk)
        saved = template_services.review_template_save(
            tenant=tenant,
            actor=acting_as(request),
            template=original,
            name=data["name"],
            cadence=data["cadence"],
            active=data.get("active"),
            criteria=criteria,
        )
        if saved.pk != original.pk:
            self.message_user(
                request,
                f"Version {original.version} is in use, so it was left as it is: your changes "
                f"were saved as version {saved.version}, which applies from "
                f"{saved.effective_from:%-d %b %Y}.",
                messages.WARNING,
            )
        adopt_saved(obj, saved)


# --- Reviews (read only) --------------------------------------------------------------------


class ReviewScoreInline(TenantScopedInline):
    model = ReviewScore
    # Stacked: a table of read-only cells and long notes would scroll sideways on a phone,
    # with nothing in it to reach by keyboard.
    template = "admin/edit_inline/stacked.html"
    fields = ["criterion", "evidence", "suggested_score", "final_score", "note"]
    readonly_fields = fields
    extra = 0
    ordering = ["criterion__position", "pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("criterion")


@admin.register(Review)
class ReviewAdmin(TenantScopedAdmin):
    inlines = [ReviewScoreInline]
    list_display = [
        "member",
        "period_start",
        "period_end",
        "status",
        "overall_score",
        "reviewer",
        "corrects",
    ]
    list_filter = ["status", "period_start"]
    list_select_related = ["member__user", "reviewer__user", "corrects", "tenant"]
    search_fields = ["member__user__name", "member__user__email"]
    search_help_text = "Search by the member's name or email."
    ordering = ["-period_start", "member__user__name"]
    fields = [
        "member",
        "reviewer",
        "template",
        "period_start",
        "period_end",
        "status",
        "overall_score",
        "summary",
        "member_comment",
        "corrects",
        "version",
        "created_at",
        "shared_at",
        "acknowledged_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
