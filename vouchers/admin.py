from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from portal.errors import DomainError
from portal.ledger.admin import ReadOnlyAdmin, ReadOnlyInline
from vouchers.family import holding_register_by_staff
from vouchers.keys import key_create
from vouchers.models import FamilyHolding, ScanSession, SigningKey, Voucher, VoucherEvent
from vouchers.services import voucher_change_status


class VoucherEventInline(ReadOnlyInline):
    model = VoucherEvent
    fields = ["at", "from_status", "to_status", "reason", "note", "actor_user"]


def _status_action(new_status: str, reason: str, description: str) -> Any:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Voucher]) -> None:
        for voucher in queryset:
            try:
                voucher_change_status(
                    voucher_id=voucher.pk,
                    new_status=new_status,
                    reason=reason,
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as error:
                messages.error(request, f"{voucher.ref}: {error.message()}")
            else:
                messages.success(request, f"{voucher.ref}: {new_status} ({reason})")

    action.__name__ = f"{new_status}_{reason}"
    return admin.action(description=description)(action)


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ["ref", "person", "status", "channel", "activated_at", "status_reason"]
    list_filter = ["status", "channel"]
    search_fields = ["ref"]
    raw_id_fields = ["person"]
    inlines = [VoucherEventInline]
    actions = [
        _status_action("suspended", "misuse", "暂停（违规核查） / suspend for a misuse review"),
        _status_action("active", "review_cleared", "恢复使用 / reinstate"),
        _status_action("revoked", "lost_phone", "注销：手机丢失（本人可重新激活） / revoke: phone lost"),
        _status_action("revoked", "fraud", "注销：欺诈骗保（需窗口办理） / revoke: fraud"),
    ]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("vouchers.change_voucher"))


@admin.register(FamilyHolding)
class FamilyHoldingAdmin(ReadOnlyAdmin):
    list_display = ["holder", "relative", "status", "consent", "created_at", "removed_by"]
    list_filter = ["status", "consent"]
    raw_id_fields = ["holder", "relative"]
    actions = ["register_at_counter"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("vouchers.change_familyholding"))

    @admin.action(description="窗口登记（未成年人/老年人，已核验材料） / register at the counter")
    def register_at_counter(self, request: HttpRequest, queryset: QuerySet[FamilyHolding]) -> None:
        for holding in queryset.filter(status=FamilyHolding.Status.PENDING):
            holding_register_by_staff(holding_id=holding.pk)
            messages.success(request, f"{holding}: active")


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["short_id", "kid", "created_at", "signs_from", "signs_until", "verifies_until"]
    fields = ["short_id", "kid", "public_key", "created_at", "signs_from", "signs_until", "verifies_until"]
    actions = ["rotate"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    @admin.action(description="轮换签名密钥 / rotate the signing key now")
    def rotate(self, request: HttpRequest, queryset: QuerySet[SigningKey]) -> None:
        key = key_create()
        starts = f"{key.signs_from:%Y-%m-%d %H:%M:%S}" if key.signs_from else "now"
        messages.success(
            request, f"新签名密钥 {key.short_id}：已发布，{starts} 起签名 / published now, signs from {starts}"
        )


@admin.register(ScanSession)
class ScanSessionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "institution", "terminal", "business_type", "person", "holder"]
    list_filter = ["business_type"]
    raw_id_fields = ["person", "holder", "voucher", "terminal", "institution"]
