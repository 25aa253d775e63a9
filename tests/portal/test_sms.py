"""The real Aliyun SMS adapter against a local stand-in that checks Aliyun's signature over HTTP."""

import base64
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


def test_the_signature_follows_aliyuns_rpc_rules() -> None:
    # Written out by hand from the rules: keys sorted; RFC 3986 encoding (space %20, "*" %2A, "~" kept,
    # UTF-8 bytes); the canonical string encoded once more; "POST&%2F&" in front; the key is secret + "&".
    params = {"b": "x y*~", "a": "医保/1"}
    canonical = "a=%E5%8C%BB%E4%BF%9D%2F1&b=x%20y%2A~"
    string_to_sign = "POST&%2F&" + canonical.replace("%", "%25").replace("=", "%3D").replace("&", "%26")
    expected = base64.b64encode(hmac.new(b"k&", string_to_sign.encode(), hashlib.sha1).digest()).decode()
    assert sign(params, secret="k") == expected


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
