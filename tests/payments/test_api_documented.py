"""The payment operations document their own refusals (portal.openapi.errors) beside the generic ones."""

import pytest

from tests import contract

DOCUMENTED = {
    ("post", "/api/v1/hospital/orders"): {"not_internet_hospital", "person_unknown", "idempotency_conflict"},
    ("post", "/api/v1/hospital/orders/{number}/refunds"): {"refund_in_progress", "refund_exceeds_payment"},
    ("put", "/api/v1/hospital/notify-endpoint"): {"notify_url_invalid", "not_internet_hospital"},
    ("post", "/api/v1/payments/orders/{number}/pay"): {"pay_auth_invalid", "split_changed", "channel_unavailable"},
    ("post", "/api/v1/scanner/settlements/preview"): {"scan_session_invalid", "prescription_used_up"},
    ("post", "/api/v1/scanner/settlements"): {"scan_session_used", "trace_code_sold", "all_items_refused"},
    ("post", "/api/v1/scanner/settlements/{number}/reversal"): {"reversal_refused", "settlement_not_found"},
    ("post", "/api/v1/scanner/settlements/{number}/refunds"): {"refund_lines_invalid"},
    ("get", "/api/v1/settlements/{number}"): {"settlement_not_found"},
    ("post", "/api/v1/scanner/sessions/{scan_session_id}/paper-prescriptions"): {"prescription_photo_required"},
    ("get", "/api/v1/prescriptions/{prescription_id}"): {"prescription_not_found"},
    ("post", "/api/v1/benefits/estimate"): {"field_required", "specified_not_recognised", "not_a_resident"},
}


@pytest.mark.parametrize(("method", "path"), sorted(DOCUMENTED))
def test_the_operation_lists_its_refusals(method: str, path: str) -> None:
    listed = set(contract.document()["paths"][path][method]["x-error-codes"])
    assert DOCUMENTED[method, path] <= listed


@pytest.mark.parametrize("path", ["/api/v1/payments/orders", "/api/v1/settlements", "/api/v1/prescriptions"])
def test_the_lists_are_paged(path: str) -> None:
    op = contract.document()["paths"][path]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"cursor", "limit"}
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    assert set(contract.document()["components"]["schemas"][name]["properties"]) == {"results", "next", "previous"}
