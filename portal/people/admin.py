from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.errors import DomainError
from portal.identity import normalize_id_number, parse_id_number
from portal.parsing import row_id
from portal.people.models import Contribution, Household, Person, User
from portal.people.services import id_number_index, person_create

admin.site.site_header = "医保电子凭证服务平台 · 经办管理 / Bureau operations"


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    pass


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    search_fields = ["name"]


class ContributionInline(admin.TabularInline):
    model = Contribution
    extra = 0


class PersonCreateForm(forms.ModelForm):
    id_number = forms.CharField(label="身份证号 / identity number", max_length=18)

    class Meta:
        model = Person
        fields = ["name", "phone", "region", "insurance_type", "assistance_group", "household"]

    def clean_id_number(self) -> str:
        try:
            return parse_id_number(self.cleaned_data["id_number"]).number
        except DomainError as error:
            raise forms.ValidationError(error.message()) from None


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "id_number_masked", "region", "insurance_type", "assistance_group", "insured"]
    list_filter = ["insurance_type", "assistance_group", "insured", "region"]
    search_fields = ["name", "phone"]
    search_help_text = "姓名、手机号或完整身份证号 / name, phone, or a full identity number"
    readonly_fields = ["id_number_masked", "birth_date", "gender", "user", "created_at", "updated_at"]
    fields = [
        "name",
        "id_number_masked",
        "birth_date",
        "gender",
        "phone",
        "region",
        "insurance_type",
        "assistance_group",
        "household",
        "insured",
        "user",
        "created_at",
        "updated_at",
    ]
    inlines = [ContributionInline]
    autocomplete_fields = ["household"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = PersonCreateForm
            kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "id_number", "phone", "region", "insurance_type", "assistance_group", "household"]
        return self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> Any:
        term = normalize_id_number(search_term)
        if len(term) == 18:
            return queryset.filter(id_number_index=id_number_index(term)), False
        return super().get_search_results(request, queryset, search_term)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "GET" and row_id(object_id) and Person.objects.filter(pk=object_id).exists():
            audit_record(
                action=AuditEvent.Action.READ,
                person=int(object_id),
                purpose="admin: person page",
                user=request.user,
                fields=[str(name) for name in self.fields or ()],
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        if not change:
            created = person_create(
                name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"],
                region_code=form.cleaned_data["region"].code,
                insurance_type=form.cleaned_data["insurance_type"],
                phone=form.cleaned_data.get("phone") or "",
                assistance_group=form.cleaned_data["assistance_group"],
                household=form.cleaned_data.get("household"),
            )
            obj.pk = created.pk
            obj._state.adding = False
            audit_record(
                action=AuditEvent.Action.CREATE, person=created, purpose="admin: add person", user=request.user
            )
            return
        super().save_model(request, obj, form, change)
        audit_record(
            action=AuditEvent.Action.UPDATE,
            person=obj,
            purpose="admin: edit person",
            user=request.user,
            fields=form.changed_data,
        )
