"""The real Aliyun SMS adapter against a local stand-in that checks Aliyun's signature over HTTP."""

import datetime as dt
import hashlib
import hmac

import pytest

from portal.signin.aliyun_sms import AliyunSms, AliyunSmsStandIn, sign
from portal.signin.sms import SmsError
from tests import factories


@pytest.fixture
def aliyun():
    server = AliyunSmsStandIn(access_key_id="LTAI-test", access_key_secret="secret-test")
    url = server.start()
    yield server, url
    server.stop()


def client(url: str, secret: str = "secret-test") -> AliyunSms:
    return AliyunSms(endpoint=url, access_key_id="LTAI-test", access_key_secret=secret, sign_name="医保服务")


def test_the_signature_follows_aliyuns_v3_rules() -> None:
    # Written out by hand from the V3 rules: the query sorted and RFC 3986-encoded (space %20, "*" %2A,
    # "~" kept, UTF-8 bytes); signed headers lower-case and sorted, "name:value" lines; the hex SHA-256 of
    # the canonical request under "ACS3-HMAC-SHA256"; the key is the secret itself; lower-case hex.
    params = {"b": "x y*~", "a": "医保/1"}
    headers = {"X-Acs-Date": "2026-11-30T00:00:00Z", "host": "dysmsapi.aliyuncs.com", "x-acs-action": "SendSms"}
    empty = hashlib.sha256(b"").hexdigest()
    canonical_request = (
        "POST\n/\na=%E5%8C%BB%E4%BF%9D%2F1&b=x%20y%2A~\n"
        "host:dysmsapi.aliyuncs.com\nx-acs-action:SendSms\nx-acs-date:2026-11-30T00:00:00Z\n\n"
        f"host;x-acs-action;x-acs-date\n{empty}"
    )
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
    expected = hmac.new(b"k", string_to_sign.encode(), hashlib.sha256).hexdigest()
    assert sign(method="POST", path="/", params=params, headers=headers, body=b"", secret="k") == expected


def test_the_stand_in_refuses_a_replayed_nonce_a_stale_date_and_a_changed_parameter(aliyun) -> None:
    server, _ = aliyun
    headers = {
        "host": "sms.test",
        "x-acs-action": "SendSms",
        "x-acs-version": "2017-05-25",
        "x-acs-date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": "n1",
        "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
    }
    params = {"PhoneNumbers": "13800000000", "SignName": "医保服务", "TemplateCode": "SMS_1", "TemplateParam": "{}"}

    def signed(headers: dict[str, str], params: dict[str, str], sent: dict[str, str] | None = None):
        names = ";".join(sorted(headers))
        signature = sign(method="POST", path="/", params=params, headers=headers, body=b"", secret="secret-test")
        auth = f"ACS3-HMAC-SHA256 Credential=LTAI-test,SignedHeaders={names},Signature={signature}"
        return server.handle("POST", "/", sent or params, {**headers, "authorization": auth}, b"")

    assert signed(headers, params)[1]["Code"] == "OK"
    assert signed(headers, params)[1]["Code"] == "SignatureNonceUsed"
    changed = signed({**headers, "x-acs-signature-nonce": "n2"}, params, {**params, "PhoneNumbers": "13900000000"})
    assert changed[1]["Code"] == "SignatureDoesNotMatch"
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert signed({**headers, "x-acs-date": old, "x-acs-signature-nonce": "n3"}, params)[1]["Code"] == (
        "InvalidTimeStamp.Expired"
    )
    unsigned = server.handle("POST", "/", params, headers, b"")
    assert unsigned[1]["Code"] == "IncompleteSignature"
    assert len(server.messages) == 1


def test_a_message_is_sent_with_a_valid_signature(aliyun) -> None:
    server, url = aliyun
    biz_id = client(url).send(phone="13800000000", template_code="SMS_100", template_param={"code": "123456"})
    assert biz_id
    assert server.messages == [
        {"phone": "13800000000", "template": "SMS_100", "sign_name": "医保服务", "param": {"code": "123456"}}
    ]


def test_a_wrong_secret_is_refused_by_the_signature_check(aliyun) -> None:
    _, url = aliyun
    with pytest.raises(SmsError) as caught:
        client(url, secret="wrong").send(phone="13800000000", template_code="SMS_100", template_param={})
    assert caught.value.code == "SignatureDoesNotMatch"


def test_a_provider_refusal_and_an_unreachable_provider_are_sms_errors(aliyun) -> None:
    server, url = aliyun
    server.fail_next = "isv.BUSINESS_LIMIT_CONTROL"
    with pytest.raises(SmsError) as caught:
        client(url).send(phone="13800000000", template_code="SMS_100", template_param={})
    assert caught.value.code == "isv.BUSINESS_LIMIT_CONTROL"
    with pytest.raises(SmsError) as down:
        client("http://127.0.0.1:9").send(phone="13800000000", template_code="SMS_100", template_param={})
    assert down.value.code == "unavailable"


@pytest.mark.django_db
def test_sign_in_through_the_aliyun_backend_and_a_clear_error_when_it_fails(aliyun, api, settings) -> None:
    server, url = aliyun
    settings.SMS_BACKEND = "portal.signin.aliyun_sms.AliyunSmsBackend"
    settings.ALIYUN_SMS_ENDPOINT = url
    settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "LTAI-test", "secret-test"
    settings.ALIYUN_SMS_CODE_TEMPLATE = "SMS_CODE"
    factories.person(phone="13911112222")
    assert api.post("/api/v1/auth/sms-code", {"phone": "13911112222"}, format="json").status_code == 202
    code = server.messages[-1]["param"]["code"]
    assert api.post("/api/v1/auth/login", {"phone": "13911112222", "code": code}, format="json").status_code == 200
    server.fail_next = "isv.MOBILE_NUMBER_ILLEGAL"
    factories.person(phone="13911113333")
    refused = api.post("/api/v1/auth/sms-code", {"phone": "13911113333"}, format="json")
    assert refused.status_code == 503 and refused.json()["code"] == "sms_unavailable"
