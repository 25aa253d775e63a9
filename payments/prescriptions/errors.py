"""Refusals of the prescription services, one stable code each (portal.errors)."""

from __future__ import annotations

from portal.errors import define

PRESCRIPTION_NOT_FOUND = define(
    "prescription_not_found", 404, "未找到该处方", "No such prescription (or not this person's)"
)
PRESCRIPTION_USED_UP = define(
    "prescription_used_up",
    409,
    "处方已用完：规定病种处方3个月内最多使用3次，普通处方只能使用1次",
    "The prescription is used up: a specified-disease prescription may be used 3 times within 3 months, "
    "an ordinary one once",
)
PRESCRIPTION_EXPIRED = define(
    "prescription_expired", 409, "处方已过有效期（{valid_until}）", "The prescription expired ({valid_until})"
)
PRESCRIPTION_CANCELLED = define("prescription_cancelled", 409, "处方已作废", "The prescription was cancelled")
PRESCRIPTION_CONFLICT = define(
    "prescription_conflict",
    409,
    "该处方号已登记且内容不同",
    "This prescription number is already recorded with different content",
)
PRESCRIPTION_IN_USE = define(
    "prescription_in_use",
    409,
    "处方已被使用，不能作废",
    "The prescription has been used; it can no longer be cancelled",
)
PRESCRIPTION_STATE = define(
    "prescription_state_refused",
    409,
    "处方当前状态（{status}）不能执行此操作",
    "The prescription is {status}; this is not possible now",
)
PRESCRIPTION_INVALID = define(
    "prescription_invalid", 400, "处方内容有误：{reason}", "The prescription is not valid: {reason}"
)
PHOTO_REQUIRED = define(
    "prescription_photo_required", 400, "请上传纸质处方照片", "Upload a photo of the paper prescription"
)
PHOTO_INVALID = define(
    "prescription_photo_invalid",
    400,
    "处方照片须为 JPEG 或 PNG 图片，且不超过 {max_mb} MB",
    "The prescription photo must be a JPEG or PNG image of at most {max_mb} MB",
)
NOT_AN_ISSUER = define(
    "not_an_issuer",
    403,
    "仅定点医疗机构或互联网医院可开具处方",
    "Only a designated hospital or internet hospital can issue prescriptions",
)
NOT_A_PHARMACY = define(
    "not_a_pharmacy", 403, "仅定点药店可登记纸质处方", "Only a designated pharmacy can record a paper prescription"
)
ISSUER_UNKNOWN = define(
    "prescription_issuer_unknown",
    400,
    "处方上的开具机构不是定点医疗机构或互联网医院",
    "The issuer named on the prescription is not a designated hospital or internet hospital",
)
PRESCRIPTION_USE_DUPLICATE = define(
    "prescription_use_duplicate",
    409,
    "该结算已使用过此处方",
    "This settlement already used this prescription",
)
