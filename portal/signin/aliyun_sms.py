"""Aliyun SMS (阿里云短信服务, dysmsapi SendSms 2017-05-25), signed with Aliyun's V3 scheme (ACS3-HMAC-SHA256).

The adapter is real. Every request carries its parameters in the query string (RPC style, an empty body)
and these headers: ``host``, ``x-acs-action``, ``x-acs-version``, ``x-acs-date`` (UTC,
``YYYY-MM-DDTHH:MM:SSZ``), ``x-acs-signature-nonce`` and ``x-acs-content-sha256`` (hex SHA-256 of the body).
The signature is ``hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical request))))``, where
the canonical request is the method, the path, the sorted RFC 3986-encoded query, the signed headers as
``name:value`` lines (lower-case names, sorted), their names joined by ``;``, and the body's hash, each on
its own line; it travels as ``Authorization: ACS3-HMAC-SHA256 Credential=<key id>,SignedHeaders=...,
Signature=...``. (The RPC HMAC-SHA1 "v1.0" scheme it replaces is discontinued.)

A local stand-in (:class:`AliyunSmsStandIn`) rebuilds the canonical request from what it received, checks
the signature, the body hash, the date (15 minutes either way) and the nonce, keeps the messages and answers
like Aliyun, so the adapter is tested over real HTTP. Production:
``SMS_BACKEND=portal.signin.aliyun_sms.AliyunSmsBackend``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
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
ALGORITHM = "ACS3-HMAC-SHA256"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
MAX_CLOCK_SKEW = dt.timedelta(minutes=15)


def percent_encode(value: str) -> str:
    """RFC 3986: unreserved characters kept, everything else as %XX of its UTF-8 bytes (space is %20)."""
    return urllib.parse.quote(value, safe="-_.~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signed_header_names(headers: dict[str, str]) -> list[str]:
    """The headers that are signed: host, content-type and every x-acs-* header, lower-case, sorted."""
    return sorted(
        {
            name.lower()
            for name in headers
            if name.lower() in ("host", "content-type") or name.lower().startswith("x-acs-")
        }
    )


def sign(
    *,
    method: str,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    secret: str,
    names: list[str] | None = None,
) -> str:
    """The V3 signature (lower-case hex) of one request."""
    lower = {name.lower(): value for name, value in headers.items()}
    names = names if names is not None else signed_header_names(headers)
    canonical_headers = "".join(f"{name}:{lower.get(name, '').strip()}\n" for name in names)
    canonical_request = "\n".join(
        [method.upper(), path or "/", canonical_query(params), canonical_headers, ";".join(names), _sha256(body)]
    )
    string_to_sign = f"{ALGORITHM}\n{_sha256(canonical_request.encode())}"
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


class AliyunSms:
    def __init__(
        self, *, endpoint: str, access_key_id: str, access_key_secret: str, sign_name: str, timeout: float = 5.0
    ) -> None:
        self.endpoint, self.access_key_id, self.secret = endpoint.rstrip("/"), access_key_id, access_key_secret
        self.sign_name, self.timeout = sign_name, timeout

    def send(self, *, phone: str, template_code: str, template_param: dict[str, str]) -> str:
        """Send one message; returns Aliyun's BizId. Raises :class:`SmsError`."""
        params = {
            "PhoneNumbers": phone,
            "SignName": self.sign_name,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(template_param, ensure_ascii=False),
        }
        body = b""
        headers = {
            "host": urllib.parse.urlsplit(self.endpoint).netloc,
            "x-acs-action": "SendSms",
            "x-acs-version": API_VERSION,
            "x-acs-date": dt.datetime.now(dt.UTC).strftime(DATE_FORMAT),
            "x-acs-signature-nonce": secrets.token_hex(16),
            "x-acs-content-sha256": _sha256(body),
        }
        signature = sign(method="POST", path="/", params=params, headers=headers, body=body, secret=self.secret)
        names = ";".join(signed_header_names(headers))
        headers["Authorization"] = (
            f"{ALGORITHM} Credential={self.access_key_id},SignedHeaders={names},Signature={signature}"
        )
        request = urllib.request.Request(  # noqa: S310 (the configured https endpoint)
            f"{self.endpoint}/?{canonical_query(params)}", data=body, method="POST", headers=headers
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


_AUTHORIZATION = re.compile(
    rf"{ALGORITHM} Credential=(?P<key>[^,]+),SignedHeaders=(?P<names>[a-z0-9;-]+),"
    r"Signature=(?P<signature>[0-9a-f]{64})"
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
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                url = urllib.parse.urlsplit(self.path)
                params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, answer = outer.handle("POST", url.path, params, headers, body)
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

    def handle(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str]]:
        request_id = secrets.token_hex(8).upper()

        def refuse(status: int, code: str, message: str) -> tuple[int, dict[str, str]]:
            return status, {"Code": code, "Message": message, "RequestId": request_id}

        found = _AUTHORIZATION.fullmatch(headers.get("authorization", ""))
        if found is None:
            return refuse(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        if found["key"] != self.access_key_id:
            return refuse(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        names = found["names"].split(";")
        if not {"host", "x-acs-action", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} <= set(names):
            return refuse(400, "IncompleteSignature", "Required headers are not signed.")
        if headers.get("x-acs-content-sha256") != _sha256(body):
            return refuse(400, "InvalidPayloadHash", "The body does not match x-acs-content-sha256.")
        expected = sign(
            method=method, path=path, params=params, headers=headers, body=body, secret=self.secret, names=names
        )
        if not hmac.compare_digest(found["signature"], expected):
            return refuse(400, "SignatureDoesNotMatch", "Specified signature is not matched.")
        try:
            sent_at = dt.datetime.strptime(headers["x-acs-date"], DATE_FORMAT).replace(tzinfo=dt.UTC)
        except ValueError:
            return refuse(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
        if abs(dt.datetime.now(dt.UTC) - sent_at) > MAX_CLOCK_SKEW:
            return refuse(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if headers["x-acs-signature-nonce"] in self._seen_nonces:
            return refuse(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self._seen_nonces.add(headers["x-acs-signature-nonce"])
        if headers.get("x-acs-action") != "SendSms" or headers.get("x-acs-version") != API_VERSION:
            return refuse(
                400, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."
            )
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
