from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from . import models, services
from .logs import LOGS
from .tokens import ingest_token_issue, ingest_token_revoke


@admin.register(models.AccountGroup)
class AccountGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "description")
    search_fields = ("name", "description")


@admin.register(models.Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("username", "description", "virtual_number", "group")
    list_filter = ("group",)
    list_select_related = ("group",)
    search_fields = ("username", "description", "virtual_number")


class CdrPolicyForm(forms.ModelForm):
    class Meta:
        model = models.CdrPolicy
        fields = ("period", "duration")
        help_texts = {
            "duration": (
                "Direct calls (CALL, TRANSFER) are kept for duration times period, then purged. "
                "0 is the No-CDR option: direct calls are not recorded at all. "
                "Conferences and 3-way calls are always logged."
            )
        }


@admin.register(models.CdrPolicy)
class CdrPolicyAdmin(admin.ModelAdmin):
    """The policy is one record: the list leads straight to it, and no second can be added."""

    form = CdrPolicyForm
    readonly_fields = ("effect",)
    fields = ("period", "duration", "effect")

    class Media:
        js = ("console/cdr_policy.js",)

    @admin.display(description="What this policy does")
    def effect(self, policy: models.CdrPolicy) -> str:
        # cdr_policy.js rewrites the sentence as the values change, from these templates.
        return format_html(
            '<span id="cdr-policy-effect" data-no-cdr="{}" data-kept="{}">{}</span>',
            policy.NO_CDR_TEXT,
            policy.KEPT_TEXT,
            policy.describe(),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: models.CdrPolicy, form, change: bool):
        # Through the service, which records who changed the policy from what to what.
        services.cdr_policy_update(
            policy=obj,
            period=form.cleaned_data["period"],
            duration=form.cleaned_data["duration"],
            changed_by=request.user.get_username(),
        )

    def changelist_view(self, request: HttpRequest, extra_context=None):
        policy = models.CdrPolicy.current()
        return HttpResponseRedirect(reverse("admin:logging_app_cdrpolicy_change", args=[policy.pk]))


@admin.register(models.IngestToken)
class IngestTokenAdmin(admin.ModelAdmin):
    """Tokens are made here or with `manage.py create_ingest_token`; the token shows once."""

    list_display = ("name", "hint", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("hint", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    def get_fields(self, request: HttpRequest, obj=None):
        return ("name",) if obj is None else ("name", *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: models.IngestToken, form, change: bool):
        if not change:
            token = ingest_token_issue(token=obj)
            messages.warning(
                request,
                f"The token for {obj.name} is {token} — copy it now: it is not stored "
                "and cannot be shown again.",
            )
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset) -> None:
        for token in queryset:
            ingest_token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")


class ReadOnlyLogAdmin(admin.ModelAdmin):
    """Log rows come from the appliance only: the admin shows them and changes nothing."""

    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


for _spec in LOGS.values():
    admin.site.register(
        _spec.model,
        type(
            f"{_spec.model.__name__}Admin",
            (ReadOnlyLogAdmin,),
            {
                "list_display": tuple(column.name for column in _spec.listed_columns),
                "list_filter": tuple(
                    name for name in _spec.filters if _spec.model._meta.get_field(name).choices
                ),
                "date_hierarchy": _spec.time_field,
                "list_select_related": _spec.link_fields,
            },
        ),
    )
