"""Error codes of the specified-disease scheme.

The ``SPECIFIED_*`` codes are what settlement raises when a recognised disease may not be settled where it
is asked (see :func:`portal.diseases.selectors.specified_disease_refusal`); they take no message parameters,
so any caller can raise them as ``DomainError(code)``.
"""

from __future__ import annotations

from portal.errors import Bilingual, DomainError, define

# Settlement refusals (422: understood, refused by a business rule).
SPECIFIED_NOT_RECOGNISED = define(
    "specified_not_recognised",
    422,
    "未认定该门诊规定病种，或认定不在有效期内",
    "No recognition of this specified disease is in force for the patient",
)
SPECIFIED_WRONG_INSTITUTION = define(
    "specified_wrong_institution",
    422,
    "该病种须在认定时选定的定点医疗机构就医结算",
    "This disease is settled only at the designated institution chosen at recognition",
)
SPECIFIED_PHARMACY_NOT_DESIGNATED = define(
    "specified_pharmacy_not_designated",
    422,
    "该药店不是本统筹区的门诊规定病种定点药店",
    "This pharmacy is not a designated specified-disease pharmacy of the patient's region",
)
SPECIFIED_SUSPENDED = define(
    "specified_suspended",
    422,
    "该病种的定点药店结算资格已暂停，可在选定的定点医疗机构就医结算",
    "Pharmacy settlement for this disease is suspended; the chosen institution still serves",
)
SPECIFIED_NOT_AT_INTERNET_HOSPITAL = define(
    "specified_not_at_internet_hospital",
    422,
    "该病种不在互联网医院诊疗结算范围内",
    "This disease cannot be treated or settled at an internet hospital",
)
SPECIFIED_PRESCRIBER_NOT_CHOSEN = define(
    "specified_prescriber_not_chosen",
    422,
    "处方须由选定的定点医疗机构开具（免选病种：本统筹区的定点医疗机构）",
    "The prescription must come from the chosen institution (choice-exempt diseases: a designated "
    "institution of the region)",
)

SETTLEMENT_REFUSALS = (
    SPECIFIED_NOT_RECOGNISED,
    SPECIFIED_WRONG_INSTITUTION,
    SPECIFIED_PHARMACY_NOT_DESIGNATED,
    SPECIFIED_SUSPENDED,
    SPECIFIED_NOT_AT_INTERNET_HOSPITAL,
    SPECIFIED_PRESCRIBER_NOT_CHOSEN,
)

# Lists.
REGION_REQUIRED = define("disease_region_required", 400, "请指定统筹区（region）", "Name the region (region=...)")
REGION_UNKNOWN = define("disease_region_unknown", 404, "未找到该统筹区", "No such region")
DISEASE_UNKNOWN = define(
    "disease_unknown", 400, "本统筹区没有该病种（{code}）", "Your region lists no such disease ({code})"
)

# Recognitions.
RECOGNITION_NOT_FOUND = define("recognition_not_found", 404, "未找到该病种认定", "No such recognition")
RECOGNITION_STATE = define(
    "recognition_state_refused",
    409,
    "认定当前状态（{status}）不能执行此操作",
    "The recognition is {status}; this is not possible",
)
RECOGNITION_EXISTS = define(
    "recognition_exists",
    409,
    "该病种已有待审核或有效的认定",
    "There is already a recognition of this disease waiting for review or in force",
)
RECOGNITION_NOT_INSURED = define(
    "recognition_not_insured", 409, "参保状态异常，不能申请认定", "Not insured at present: no recognition can be asked"
)
INSTITUTION_REQUIRED = define(
    "recognition_institution_required",
    400,
    "请选定一家定点医疗机构",
    "Choose one designated institution for this disease",
)
INSTITUTION_NOT_NEEDED = define(
    "recognition_institution_not_needed",
    400,
    "该病种无需选定医疗机构，可在本统筹区任一定点医疗机构就医",
    "This disease needs no chosen institution: any designated institution of the region serves",
)
INSTITUTION_NOT_ELIGIBLE = define(
    "recognition_institution_not_eligible",
    400,
    "所选机构不能作为该病种的选定机构：{reason}",
    "This institution cannot be chosen for the disease: {reason}",
)
INSTITUTION_UNCHANGED = define(
    "recognition_institution_unchanged",
    409,
    "所选机构与当前选定的机构相同",
    "This is already the chosen institution",
)
DOCUMENTS_MISSING = define(
    "recognition_documents_missing",
    400,
    "请上传诊断证明、病历或检查报告",
    "Upload a diagnosis certificate, medical record or test report",
)
DOCUMENTS_TOO_MANY = define(
    "recognition_documents_too_many", 400, "最多上传 {max} 份材料", "Upload at most {max} documents"
)
DOCUMENT_INVALID = define(
    "recognition_document_invalid",
    400,
    "材料须为 JPEG、PNG 或 PDF 文件，每份不超过 {max_mb} MB",
    "Documents must be JPEG, PNG or PDF files of at most {max_mb} MB each",
)
DATES_INVALID = define(
    "recognition_dates_invalid", 400, "认定有效期有误：{reason}", "The recognition's dates are wrong: {reason}"
)
NOTE_REQUIRED = define("review_note_required", 400, "请填写理由", "Give a reason")

# Violations, suspensions, reinstatement.
VIOLATION_INVALID = define(
    "violation_invalid", 400, "违规记录有误：{reason}", "The violation record is wrong: {reason}"
)
VIOLATION_NOT_RECOGNISED = define(
    "violation_not_recognised",
    409,
    "该参保人没有该病种的认定，不能登记病种违规",
    "The person has no recognition of this disease: no violation can be recorded for it",
)
SUSPENSION_NOT_FOUND = define("suspension_not_found", 404, "未找到该暂停记录", "No such suspension")
SUSPENSION_STATE = define(
    "suspension_state_refused",
    409,
    "暂停记录当前状态（{status}）不能执行此操作",
    "The suspension is {status}; this is not possible",
)
REINSTATEMENT_TOO_EARLY = define(
    "reinstatement_too_early",
    409,
    "暂停期满后（{date} 起）方可申请恢复定点药店结算",
    "Reinstatement can be asked for once the suspension period is over (from {date})",
)
REINSTATEMENT_PENDING = define(
    "reinstatement_pending", 409, "已有待审核的恢复申请", "A reinstatement application is already waiting for review"
)
APPLICATION_REQUIRED = define(
    "reinstatement_application_required",
    400,
    "请填写书面申请（不少于 {min} 个字）",
    "Write the application (at least {min} characters)",
)
COMMITMENT_REQUIRED = define(
    "reinstatement_commitment_required",
    400,
    "请阅读并签署承诺书",
    "Read and sign the commitment",
)
COMMITMENT_OUTDATED = define(
    "reinstatement_commitment_outdated",
    409,
    "承诺书已更新，请阅读最新版本（{version}）后重新签署",
    "The commitment wording changed; read version {version} and sign it again",
)
REINSTATEMENT_NOT_FOUND = define(
    "reinstatement_not_found", 404, "未找到该恢复申请", "No such reinstatement application"
)
REINSTATEMENT_STATE = define(
    "reinstatement_state_refused",
    409,
    "恢复申请当前状态（{status}）不能执行此操作",
    "The application is {status}; this is not possible",
)

_REASONS = {
    "unknown": ("机构不存在", "no such institution"),
    "not_designated": ("非定点医药机构", "not a designated institution"),
    "other_region": ("不属于本统筹区", "not in the person's region"),
    "pharmacy": ("药店不能作为选定机构", "a pharmacy cannot be the chosen institution"),
    "internet_hospital_not_for_disease": (
        "该病种不能在互联网医院诊疗",
        "this disease is not treated at internet hospitals",
    ),
    "end_before_start": ("结束日期早于开始日期", "the end is before the start"),
    "end_in_past": ("结束日期已过", "the end is already past"),
    "kind": ("违规类型不存在", "no such kind of violation"),
    "amount": ("追回金额须为非负整数（分）", "the recovered amount must be a whole number of fen, not negative"),
}


def reasoned(code: str, reason: str) -> DomainError:
    """A refusal whose message names one of the reasons above (also in ``details.reason``)."""
    zh, en = _REASONS[reason]
    return DomainError(code, reason=Bilingual(zh, en), details={"reason": reason})


def status_words(label: object) -> Bilingual:
    """A choice label written "中文 / English" as a message parameter."""
    zh, _, en = str(label).partition(" / ")
    return Bilingual(zh.strip(), en.strip() or zh.strip())
