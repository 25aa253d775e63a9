"""WeChat Pay API v3 (直连商户): the ``CashChannel`` adapter, and the protocol's signing and encryption.

Protocol, as WeChat Pay specifies it:

- every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",signature="..",
  timestamp="..",serial_no=".."``, the signature being RSA-SHA256 (PKCS#1 v1.5) with the merchant's API key
  over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``;
- every answer (but a downloaded bill file) and every notify is signed by the platform: ``Wechatpay-Timestamp``,
  ``Wechatpay-Nonce``, ``Wechatpay-Signature``, ``Wechatpay-Serial`` over ``TIMESTAMP\\nNONCE\\nBODY\\n``,
  verified with the platform public key of that serial;
- a notify's ``resource`` is AEAD_AES_256_GCM under the merchant's APIv3 key.

The helpers (``sign``, ``verify``, ``authorization``, ``encrypt_resource`` ...) are shared with the stand-in
server (``payments.channels.standin``), which speaks the same protocol from the other side.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import http.client
import json
import re
import secrets
import string
import time
from collections.abc import Mapping
from typing import Any, Literal, cast
from urllib.parse import quote, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from payments.channels.base import (
    BillRow,
    ChannelError,
    ChannelNotify,
    ChannelOrder,
    ChannelRefund,
    ChannelTrade,
    RefundStatus,
    TradeState,
)
from payments.channels.wechatpay_bill import BEIJING, parse_trade_bill
from portal.parsing import ascii_digits

AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
TRADE_STATES: frozenset[str] = frozenset(("SUCCESS", "NOTPAY", "CLOSED", "REFUND", "USERPAYING", "PAYERROR", "REVOKED"))
REFUND_STATUSES: frozenset[str] = frozenset(("PROCESSING", "SUCCESS", "ABNORMAL", "CLOSED"))
_AUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')
_NONCE_ALPHABET = string.ascii_uppercase + string.digits
_USER_AGENT = "medinsure-portal wechatpay-v3 (Python http.client)"


# --- protocol helpers (shared with the stand-in) ------------------------------------------------------------


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def new_nonce(length: int = 32) -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def message(*lines: str | bytes) -> bytes:
    """The signed message: each line followed by ``\\n`` (so the body line ends with one too)."""
    return b"".join((line.encode() if isinstance(line, str) else line) + b"\n" for line in lines)


def sign(key: rsa.RSAPrivateKey, data: bytes) -> str:
    """Base64 RSA-SHA256 PKCS#1 v1.5 signature."""
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(key: rsa.RSAPublicKey, data: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def authorization(
    *, mchid: str, serial: str, key: rsa.RSAPrivateKey, method: str, target: str, body: bytes = b""
) -> str:
    """The ``Authorization`` header for a request to ``target`` (path with query, as sent)."""
    timestamp, nonce = str(int(time.time())), new_nonce()
    signature = sign(key, message(method, target, timestamp, nonce, body))
    return (
        f'{AUTH_SCHEME} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial}"'
    )


def parse_authorization(value: str) -> dict[str, str] | None:
    """The parameters of an ``Authorization`` header, or None if it is not the v3 scheme."""
    scheme, _, params = value.strip().partition(" ")
    if scheme != AUTH_SCHEME:
        return None
    found = dict(_AUTH_PARAM.findall(params))
    if not {"mchid", "nonce_str", "signature", "timestamp", "serial_no"} <= found.keys():
        return None
    return found


def platform_headers(
    *, key: rsa.RSAPrivateKey, serial: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The ``Wechatpay-*`` headers the platform puts on an answer or a notify."""
    stamp, nonce = str(int(time.time()) if timestamp is None else timestamp), new_nonce()
    return {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": sign(key, message(stamp, nonce, body)),
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": AUTH_SCHEME,
    }


def encrypt_resource(apiv3_key: bytes, plaintext: bytes, associated_data: str, original_type: str) -> dict[str, str]:
    """A notify ``resource``: AEAD_AES_256_GCM, a random 12-character nonce, base64 ciphertext (with the tag)."""
    nonce = new_nonce(12)
    ciphertext = AESGCM(apiv3_key).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
        "original_type": original_type,
    }


def decrypt_resource(apiv3_key: bytes, resource: Mapping[str, Any]) -> bytes:
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise ChannelError("malformed", f"resource algorithm {resource.get('algorithm')!r}")
    nonce, ciphertext, associated = resource.get("nonce"), resource.get("ciphertext"), resource.get("associated_data")
    if not isinstance(nonce, str) or not isinstance(ciphertext, str) or not isinstance(associated, str | None):
        raise ChannelError("malformed", "resource fields")
    try:
        raw = base64.b64decode(ciphertext, validate=True)
        return AESGCM(apiv3_key).decrypt(nonce.encode(), raw, associated.encode() if associated else None)
    except binascii.Error:
        raise ChannelError("malformed", "resource ciphertext is not base64") from None
    except (InvalidTag, ValueError):
        raise ChannelError("bad_signature", "resource does not decrypt") from None


def rfc3339(moment: dt.datetime) -> str:
    """``2026-01-01T12:00:00+08:00``: Beijing time, to the second, as WeChat writes it."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")


def notify_ack(ok: bool, message: str = "", status: int = 400) -> tuple[int, dict[str, str]]:
    """What to answer a notify: 200 SUCCESS (WeChat stops), or FAIL with a 4xx/5xx status (WeChat tries
    again later; 503 when we could not process it for now)."""
    if ok:
        return 200, {"code": "SUCCESS", "message": "成功"}
    return status, {"code": "FAIL", "message": (message or "失败")[:100]}


# --- the adapter -------------------------------------------------------------------------------------------


class WeChatPay:
    """The WeChat Pay v3 ``CashChannel``: real HTTP, every request signed, every answer verified."""

    name = "wechatpay"

    def __init__(
        self,
        *,
        base_url: str,
        mchid: str,
        appid: str,
        merchant_private_key_pem: bytes,
        merchant_serial: str,
        platform_public_keys: Mapping[str, bytes],
        apiv3_key: bytes,
        timeout: float = 5.0,
        notify_max_age: int = 300,
    ) -> None:
        base = urlsplit(base_url)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        if len(apiv3_key) != 32:
            raise ValueError("the APIv3 key is 32 bytes")
        if not platform_public_keys:
            raise ValueError("at least one platform public key is needed")
        self.base_url = base_url.rstrip("/")
        self.mchid = mchid
        self.appid = appid
        self.timeout = timeout
        self.notify_max_age = notify_max_age
        self._scheme, self._netloc, self._prefix = base.scheme, base.netloc, base.path.rstrip("/")
        self._key = load_private_key(merchant_private_key_pem)
        self._serial = merchant_serial
        self._platform = {serial: load_public_key(pem) for serial, pem in platform_public_keys.items()}
        self._apiv3_key = apiv3_key

    # -- orders

    def create_order(
        self,
        *,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        notify_url: str,
        expires_at: dt.datetime,
        scene: Literal["jsapi", "h5"] = "h5",
        payer_openid: str | None = None,
        client_ip: str = "127.0.0.1",
    ) -> ChannelOrder:
        payload: dict[str, Any] = {
            "appid": self.appid,
            "mchid": self.mchid,
            "description": description,
            "out_trade_no": out_trade_no,
            "time_expire": rfc3339(expires_at),
            "notify_url": notify_url,
            "amount": {"total": amount_fen, "currency": "CNY"},
        }
        if scene == "jsapi":
            if not payer_openid:
                raise ValueError("a JSAPI order needs the payer's openid")
            payload["payer"] = {"openid": payer_openid}
            answer = self._json("POST", "/v3/pay/transactions/jsapi", payload)
            return ChannelOrder(out_trade_no=out_trade_no, prepay_id=_str(answer, "prepay_id"))
        if scene == "h5":
            payload["scene_info"] = {"payer_client_ip": client_ip, "h5_info": {"type": "Wap"}}
            answer = self._json("POST", "/v3/pay/transactions/h5", payload)
            return ChannelOrder(out_trade_no=out_trade_no, h5_url=_str(answer, "h5_url"))
        raise ValueError(f"unknown scene {scene!r}")

    def query_order(self, *, out_trade_no: str) -> ChannelTrade:
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}?{urlencode({'mchid': self.mchid})}"
        answer = self._json("GET", path)
        if answer.get("out_trade_no") != out_trade_no:
            raise ChannelError("malformed", "answer is about another order")
        state = _str(answer, "trade_state")
        if state not in TRADE_STATES:
            raise ChannelError("malformed", f"trade_state {state!r}")
        amount = _object(answer, "amount")
        total = _int_or_none(amount, "total")
        if total is None and state in ("SUCCESS", "REFUND"):
            raise ChannelError("malformed", "a paid order without amount.total")
        success_time = answer.get("success_time")
        return ChannelTrade(
            out_trade_no=out_trade_no,
            trade_state=cast(TradeState, state),
            transaction_id=answer.get("transaction_id") or None,
            # WeChat may leave the total out of an unpaid order's answer: 0 then means "not given".
            amount_fen=total or 0,
            payer_total_fen=_int_or_none(amount, "payer_total"),
            success_time=_datetime(success_time) if success_time else None,
        )

    def close_order(self, *, out_trade_no: str) -> None:
        self._call(
            "POST", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close", {"mchid": self.mchid}
        )

    # -- refunds

    def refund(
        self, *, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int, reason: str, notify_url: str
    ) -> ChannelRefund:
        payload = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "reason": reason,
            "notify_url": notify_url,
            "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"},
        }
        return self._refund(self._json("POST", "/v3/refund/domestic/refunds", payload), out_refund_no)

    def query_refund(self, *, out_refund_no: str) -> ChannelRefund:
        answer = self._json("GET", f"/v3/refund/domestic/refunds/{quote(out_refund_no, safe='')}")
        return self._refund(answer, out_refund_no)

    def _refund(self, answer: Mapping[str, Any], out_refund_no: str) -> ChannelRefund:
        if answer.get("out_refund_no") != out_refund_no:
            raise ChannelError("malformed", "answer is about another refund")
        status = _str(answer, "status")
        if status not in REFUND_STATUSES:
            raise ChannelError("malformed", f"refund status {status!r}")
        refund_fen = _int_or_none(_object(answer, "amount"), "refund")
        if refund_fen is None:
            raise ChannelError("malformed", "refund without amount.refund")
        return ChannelRefund(
            out_refund_no=out_refund_no,
            out_trade_no=_str(answer, "out_trade_no"),
            refund_id=answer.get("refund_id") or None,
            status=cast(RefundStatus, status),
            refund_fen=refund_fen,
        )

    # -- the daily bill

    def trade_bill(self, *, bill_date: dt.date) -> list[BillRow]:
        """The day's trade bill. A day without trades is ``not_found`` (WeChat's ``NO_STATEMENT_EXIST``)."""
        query = urlencode({"bill_date": bill_date.isoformat(), "bill_type": "ALL"})
        answer = self._json("GET", f"/v3/bill/tradebill?{query}")
        download_url, hash_type, hash_value = (_str(answer, k) for k in ("download_url", "hash_type", "hash_value"))
        url = urlsplit(download_url)
        if _origin(download_url) != _origin(self.base_url):  # the signed request goes to WeChat only
            raise ChannelError("malformed", f"bill download_url on another host: {url.netloc}")
        if hash_type != "SHA1":
            raise ChannelError("malformed", f"bill hash_type {hash_type!r}")
        _, content = self._call("GET", url.path + (f"?{url.query}" if url.query else ""), verify_answer=False)
        # SHA1 is WeChat's choice for the bill's integrity check; the expected value came in a signed answer.
        if not secrets.compare_digest(hashlib.sha1(content).hexdigest(), hash_value.lower()):  # noqa: S324
            raise ChannelError("bad_signature", "bill hash")
        return parse_trade_bill(content)

    # -- notifies

    def parse_notify(self, *, headers: Mapping[str, str], body: bytes, now: float) -> ChannelNotify:
        """A verified, fresh, decrypted notify, from the request's real header names (any case) and raw body."""
        lower = {name.lower(): value for name, value in headers.items()}
        self._verify_platform(lower, body)
        if abs(now - int(lower["wechatpay-timestamp"])) > self.notify_max_age:
            raise ChannelError("stale", f"notify timestamp {lower['wechatpay-timestamp']}")
        return self.decode_notify(body=body)

    def decode_notify(self, *, body: bytes) -> ChannelNotify:
        """The notify's content (decrypted resource), for a body verified earlier and stored raw."""
        envelope = _json_object(body)
        resource = envelope.get("resource")
        if envelope.get("resource_type") != "encrypt-resource" or not isinstance(resource, dict):
            raise ChannelError("malformed", "notify without an encrypted resource")
        event_type, notify_id = _str(envelope, "event_type"), _str(envelope, "id")
        data = _json_object(decrypt_resource(self._apiv3_key, resource))
        amount = _object(data, "amount")
        if event_type.startswith("TRANSACTION."):
            return ChannelNotify(
                notify_id=notify_id,
                event_type=event_type,
                kind="transaction",
                mchid=_str(data, "mchid"),
                appid=data.get("appid"),
                out_trade_no=_str(data, "out_trade_no"),
                transaction_id=data.get("transaction_id") or None,
                trade_state=_str(data, "trade_state"),
                amount_fen=_int_or_none(amount, "total"),
            )
        if event_type.startswith("REFUND."):
            return ChannelNotify(
                notify_id=notify_id,
                event_type=event_type,
                kind="refund",
                mchid=_str(data, "mchid"),
                appid=None,
                out_trade_no=_str(data, "out_trade_no"),
                transaction_id=data.get("transaction_id") or None,
                trade_state=None,
                amount_fen=_int_or_none(amount, "total"),
                out_refund_no=_str(data, "out_refund_no"),
                refund_status=_str(data, "refund_status"),
                refund_fen=_int_or_none(amount, "refund"),
            )
        raise ChannelError("malformed", f"event_type {event_type!r}")

    # -- HTTP

    def _json(self, method: str, path: str, payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
        _, content = self._call(method, path, payload)
        return _json_object(content)

    def _call(
        self, method: str, path: str, payload: Mapping[str, Any] | None = None, *, verify_answer: bool = True
    ) -> tuple[int, bytes]:
        """Send a signed request to ``path`` (below the base URL); the verified 2xx answer, or ChannelError."""
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        target = self._prefix + path
        headers = {
            "Authorization": authorization(
                mchid=self.mchid, serial=self._serial, key=self._key, method=method, target=target, body=body
            ),
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": _USER_AGENT,
        }
        connection_class = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        connection = connection_class(self._netloc, timeout=self.timeout)
        try:
            connection.request(method, target, body=body if payload is not None else None, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except TimeoutError as error:
            raise ChannelError("timeout", f"{method} {path}: {error}", retryable=True) from None
        except (OSError, http.client.HTTPException) as error:
            raise ChannelError("unavailable", f"{method} {path}: {error!r}", retryable=True) from None
        finally:
            connection.close()
        status = response.status
        if status >= 500:  # not verified: it carries nothing to act on but "try again"
            raise ChannelError("unavailable", f"HTTP {status} {_error_code(content)}".strip(), retryable=True)
        if verify_answer or not 200 <= status < 300:
            self._verify_platform({k.lower(): v for k, v in response.getheaders()}, content)
        if 200 <= status < 300:
            return status, content
        code = _error_code(content)
        if status == 404 or code in ("ORDER_NOT_EXIST", "RESOURCE_NOT_EXISTS", "NO_STATEMENT_EXIST"):
            raise ChannelError("not_found", code)
        if 400 <= status < 500:
            retryable = status == 429 or code in ("FREQUENCY_LIMITED", "STATEMENT_CREATING")
            raise ChannelError("refused", code or f"HTTP {status}", retryable=retryable)
        raise ChannelError("malformed", f"HTTP {status}")

    def _verify_platform(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check the platform's signature; ``headers`` has lower-case names."""
        timestamp, nonce = headers.get("wechatpay-timestamp"), headers.get("wechatpay-nonce")
        signature, serial = headers.get("wechatpay-signature"), headers.get("wechatpay-serial")
        if not (timestamp and nonce and signature and serial) or not ascii_digits(timestamp):
            raise ChannelError("bad_signature", "missing Wechatpay-* headers")
        key = self._platform.get(serial)
        if key is None:
            raise ChannelError("bad_signature", f"unknown platform serial {serial}")
        if not verify(key, message(timestamp, nonce, body), signature):
            raise ChannelError("bad_signature", "signature does not verify")


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ChannelError("malformed", f"URL {url!r}") from None
    return parts.scheme, parts.hostname or "", port


def _json_object(content: bytes) -> dict[str, Any]:
    try:
        value = json.loads(content)
    except ValueError:
        raise ChannelError("malformed", "not JSON") from None
    if not isinstance(value, dict):
        raise ChannelError("malformed", "not a JSON object")
    return value


def _error_code(content: bytes) -> str:
    try:
        value = json.loads(content)
    except ValueError:
        return ""
    code = value.get("code") if isinstance(value, dict) else None
    return code if isinstance(code, str) else ""


def _object(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ChannelError("malformed", f"missing {key}")
    return value


def _int_or_none(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ChannelError("malformed", f"{key} is not an integer")
    return value


def _datetime(value: Any) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ChannelError("malformed", f"time {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)
