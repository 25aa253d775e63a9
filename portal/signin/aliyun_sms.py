"""Aliyun SMS (阿里云短信服务, dysmsapi SendSms 2017-05-25) with its RPC signature (HMAC-SHA1, v1.0).

The adapter is real: every request carries the percent-encoded, sorted parameters and their signature
``base64(HMAC-SHA1(secret + "&", "POST&%2F&" + percent_encode(canonical query)))``. A local stand-in
(:class:`AliyunSmsStandIn`) checks the same signature, keeps the messages and answers like Aliyun, so
the adapter is tested over real HTTP. Production: ``SMS_BACKEND=portal.signin.aliyun_sms.AliyunSmsBackend``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.conf import settings

from portal.signin.sms import SmsError

API_VERSION = "2017-05-25"


def percent_encode(value: str) -> str:
    return urllib.parse.quote(value, safe="~")


def sign(params: dict[str, str], *, secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    def __init__(
        self, *, endpoint: str, access_key_id: str, access_key_secret: str, sign_name: str, timeout: float = 5.0
    ) -> None:
        self.endpoint, self.access_key_id, self.secret = endpoint.rstrip("/"), access_key_id, access_key_secret
        self.sign_name, self.timeout = sign_name, timeout

    def send(self, *, phone: str, template_code: str, template_param: dict[str, str]) -> str:
        """Send one message; returns Aliyun's BizId. Raises :class:`SmsError`."""
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": secrets.token_hex(16),
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(template_param, ensure_ascii=False),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }
        params["Signature"] = sign(params, secret=self.secret)
        body = urllib.parse.urlencode(params, quote_via=urllib.parse.quote).encode()
        request = urllib.request.Request(  # noqa: S310 (the configured https endpoint)
            self.endpoint + "/",
            data=body,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            answer = json.loads(error.read() or b"{}") if error.code < 500 else {"Code": f"HTTP{error.code}"}
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsError("unavailable", str(error)) from None
        if answer.get("Code") != "OK":
            raise SmsError(str(answer.get("Code", "unknown")), str(answer.get("Message", "")))
        return str(answer.get("BizId", ""))


class AliyunSmsBackend:
    """The SMS backend for production: sign-in codes and notices through Aliyun templates."""

    def __init__(self) -> None:
        self.client = AliyunSms(
            endpoint=settings.ALIYUN_SMS_ENDPOINT,
            access_key_id=settings.ALIYUN_SMS_ACCESS_KEY_ID,
            access_key_secret=settings.ALIYUN_SMS_ACCESS_KEY_SECRET,
            sign_name=settings.ALIYUN_SMS_SIGN_NAME,
        )

    def send_code(self, *, phone: str, code: str, ttl_minutes: int, purpose: str = "sign_in") -> None:
        self.client.send(
            phone=phone,
            template_code=settings.ALIYUN_SMS_CODE_TEMPLATE,
            template_param={"code": code, "minutes": str(ttl_minutes)},
        )

    def send_notice(self, *, phone: str, text: str) -> None:
        self.client.send(
            phone=phone, template_code=settings.ALIYUN_SMS_NOTICE_TEMPLATE, template_param={"content": text[:200]}
        )


class AliyunSmsStandIn:
    """A local server that answers SendSms like Aliyun, after checking the same signature."""

    def __init__(self, *, access_key_id: str, access_key_secret: str) -> None:
        self.access_key_id, self.secret = access_key_id, access_key_secret
        self.messages: list[dict[str, Any]] = []
        self.fail_next: str | None = None
        self._seen_nonces: set[str] = set()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
                status, answer = outer.handle(params)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def handle(self, params: dict[str, str]) -> tuple[int, dict[str, str]]:
        request_id = secrets.token_hex(8).upper()
        signature = params.pop("Signature", "")
        if params.get("AccessKeyId") != self.access_key_id:
            return 404, {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "Specified access key is not found.",
                "RequestId": request_id,
            }
        if not hmac.compare_digest(signature, sign(params, secret=self.secret)):
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched.",
                "RequestId": request_id,
            }
        if params.get("SignatureNonce") in self._seen_nonces:
            return 400, {
                "Code": "SignatureNonceUsed",
                "Message": "Specified signature nonce was used already.",
                "RequestId": request_id,
            }
        self._seen_nonces.add(params.get("SignatureNonce", ""))
        if self.fail_next:
            code, self.fail_next = self.fail_next, None
            return 200, {"Code": code, "Message": "stand-in failure", "RequestId": request_id}
        self.messages.append(
            {
                "phone": params["PhoneNumbers"],
                "template": params["TemplateCode"],
                "sign_name": params["SignName"],
                "param": json.loads(params["TemplateParam"]),
            }
        )
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"{secrets.randbelow(10**15)}^0", "RequestId": request_id}
