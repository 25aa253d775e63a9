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
server (``payments.channels.wechatpay.standin``), which speaks the same protocol from the other side.

The adapter keeps its HTTP/1.1 connections open between calls (``_ConnectionPool``): one TLS handshake per
connection rather than per call, the connections shared by the threads that use one adapter instance.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import http.client
import json
import os
import re
import secrets
import select
import socket
import string
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
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
    NotifyAnswer,
    RefundState,
    TradeState,
)
from payments.channels.wechatpay.bill import BEIJING, parse_trade_bill
from portal.parsing import ascii_digits

AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
# WeChat's states in the project's terms (the table in payments.channels.base). REFUND is "paid, then refunds
# asked for": WeChat says it after a partial refund too, so ``refunded`` does not mean "fully refunded".
TRADE_STATES: Mapping[str, TradeState] = {
    "NOTPAY": TradeState.WAITING,
    "USERPAYING": TradeState.WAITING,
    "SUCCESS": TradeState.PAID,
    "CLOSED": TradeState.CLOSED,
    "REVOKED": TradeState.CLOSED,
    "REFUND": TradeState.REFUNDED,
    "PAYERROR": TradeState.FAILED,
}
REFUND_STATES: Mapping[str, RefundState] = {
    "PROCESSING": RefundState.PROCESSING,
    "SUCCESS": RefundState.SUCCEEDED,
    "ABNORMAL": RefundState.FAILED,
    "CLOSED": RefundState.CLOSED,
}
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


# --- the adapter -------------------------------------------------------------------------------------------


class WeChatPay:
    """The WeChat Pay v3 ``CashChannel``: real HTTP, every request signed, every answer verified.

    One instance may serve many threads: its connections are pooled (``_ConnectionPool``); ``close()`` closes
    the idle ones.
    """

    name = "wechatpay"
    settle_before_answer = False  # WeChat retries until it gets 200: storing the notify raw is enough to answer

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
        max_idle_connections: int = 8,
        keepalive_seconds: float = 30.0,
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
        self._prefix = base.path.rstrip("/")
        self._key = load_private_key(merchant_private_key_pem)
        self._serial = merchant_serial
        self._platform = {serial: load_public_key(pem) for serial, pem in platform_public_keys.items()}
        self._apiv3_key = apiv3_key
        self._pool = _ConnectionPool(
            base.scheme, base.netloc, timeout, max_idle=max_idle_connections, idle_seconds=keepalive_seconds
        )

    def close(self) -> None:
        """Close the idle connections (those in use close when their call is done)."""
        self._pool.close()

    # -- orders

    def create_order(
        self,
        *,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        notify_url: str,
        expires_at: dt.datetime,
        client_ip: str = "127.0.0.1",
    ) -> ChannelOrder:
        """An H5 order (``/v3/pay/transactions/h5``): the payer's mobile browser goes to ``h5_url``."""
        payload: dict[str, Any] = {
            "appid": self.appid,
            "mchid": self.mchid,
            "description": description,
            "out_trade_no": out_trade_no,
            "time_expire": rfc3339(expires_at),
            "notify_url": notify_url,
            "amount": {"total": amount_fen, "currency": "CNY"},
            "scene_info": {"payer_client_ip": client_ip, "h5_info": {"type": "Wap"}},
        }
        answer = self._json("POST", "/v3/pay/transactions/h5", payload)
        return ChannelOrder(out_trade_no=out_trade_no, h5_url=_str(answer, "h5_url"))

    def query_order(self, *, out_trade_no: str) -> ChannelTrade:
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}?{urlencode({'mchid': self.mchid})}"
        answer = self._json("GET", path)
        if answer.get("out_trade_no") != out_trade_no:
            raise ChannelError("malformed", "answer is about another order")
        state = _trade_state(_str(answer, "trade_state"))
        amount = _object(answer, "amount")
        total = _int_or_none(amount, "total")
        if total is None and state in (TradeState.PAID, TradeState.REFUNDED):
            raise ChannelError("malformed", "a paid order without amount.total")
        success_time = answer.get("success_time")
        return ChannelTrade(
            out_trade_no=out_trade_no,
            state=state,
            transaction_id=answer.get("transaction_id") or None,
            # WeChat may leave the total out of an unpaid order's answer: 0 then means "not given".
            amount_fen=total or 0,
            payer_total_fen=_int_or_none(amount, "payer_total"),
            success_time=_datetime(success_time) if success_time else None,
        )

    def close_order(self, *, out_trade_no: str) -> None:
        """Close an unpaid order; ``ChannelError("paid")`` when WeChat answers ORDERPAID (paid meanwhile)."""
        try:
            self._call(
                "POST", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close", {"mchid": self.mchid}
            )
        except ChannelError as error:
            if error.code == "refused" and error.detail == "ORDERPAID":
                raise ChannelError("paid", "ORDERPAID") from None
            raise

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

    def query_refund(self, *, out_refund_no: str, out_trade_no: str) -> ChannelRefund:
        """The refund by our number alone (WeChat's refund query does not take the order's; it is ignored)."""
        answer = self._json("GET", f"/v3/refund/domestic/refunds/{quote(out_refund_no, safe='')}")
        return self._refund(answer, out_refund_no)

    def _refund(self, answer: Mapping[str, Any], out_refund_no: str) -> ChannelRefund:
        if answer.get("out_refund_no") != out_refund_no:
            raise ChannelError("malformed", "answer is about another refund")
        state = _refund_state(_str(answer, "status"))
        refund_fen = _int_or_none(_object(answer, "amount"), "refund")
        if refund_fen is None:
            raise ChannelError("malformed", "refund without amount.refund")
        return ChannelRefund(
            out_refund_no=out_refund_no,
            out_trade_no=_str(answer, "out_trade_no"),
            refund_id=answer.get("refund_id") or None,
            state=state,
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
        """A verified, fresh, decrypted notify for our merchant and app, from the request's real header names
        (any case) and raw body. ``foreign`` if it is about another merchant (or, for a payment, another app)."""
        lower = {name.lower(): value for name, value in headers.items()}
        self._verify_platform(lower, body)
        if abs(now - int(lower["wechatpay-timestamp"])) > self.notify_max_age:
            raise ChannelError("stale", f"notify timestamp {lower['wechatpay-timestamp']}")
        notify, data = self._decode(body)
        # A refund's resource has no appid; a payment's always has one.
        if data.get("mchid") != self.mchid or (notify.kind == "transaction" and data.get("appid") != self.appid):
            raise ChannelError("foreign", f"mchid {data.get('mchid')!r} appid {data.get('appid')!r}")
        return notify

    def decode_notify(self, *, body: bytes) -> ChannelNotify:
        """The notify's content (decrypted resource), for a body verified earlier and stored raw."""
        return self._decode(body)[0]

    def _decode(self, body: bytes) -> tuple[ChannelNotify, Mapping[str, Any]]:
        envelope = _json_object(body)
        resource = envelope.get("resource")
        if envelope.get("resource_type") != "encrypt-resource" or not isinstance(resource, dict):
            raise ChannelError("malformed", "notify without an encrypted resource")
        event, notify_id = _str(envelope, "event_type"), _str(envelope, "id")
        data = _json_object(decrypt_resource(self._apiv3_key, resource))
        amount = _object(data, "amount")
        if event.startswith("TRANSACTION."):
            notify = ChannelNotify(
                notify_id=notify_id,
                event=event,
                kind="transaction",
                out_trade_no=_str(data, "out_trade_no"),
                transaction_id=data.get("transaction_id") or None,
                trade_state=_trade_state(_str(data, "trade_state")),
                amount_fen=_int_or_none(amount, "total"),
            )
        elif event.startswith("REFUND."):
            notify = ChannelNotify(
                notify_id=notify_id,
                event=event,
                kind="refund",
                out_trade_no=_str(data, "out_trade_no"),
                transaction_id=data.get("transaction_id") or None,
                trade_state=None,
                amount_fen=_int_or_none(amount, "total"),
                out_refund_no=_str(data, "out_refund_no"),
                refund_state=_refund_state(_str(data, "refund_status")),
                refund_fen=_int_or_none(amount, "refund"),
            )
        else:
            raise ChannelError("malformed", f"event_type {event!r}")
        return notify, data

    def notify_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The ``Wechatpay-*`` headers (timestamp, nonce, signature, serial, signature type), by their canonical
        names whatever case they came in: with the raw body, enough to verify the notify again."""
        return {
            "-".join(part.capitalize() for part in name.split("-")): value
            for name, value in headers.items()
            if name.lower().startswith("wechatpay-")
        }

    def notify_answer(self, *, accepted: bool, message: str = "", status: int | None = None) -> NotifyAnswer:
        """200 ``{"code": "SUCCESS"}`` (WeChat stops sending), or ``{"code": "FAIL"}`` with a 4xx/5xx status,
        400 unless told (WeChat sends again later; 503 when we could not process it for now, 429 when an
        address sends too much). Never a 2xx for a refusal: WeChat would take it as accepted."""
        if accepted:
            status, payload = 200, {"code": "SUCCESS", "message": "成功"}
        else:
            status = 400 if status is None else status
            if not 400 <= status < 600:
                raise ValueError(f"a refused notify is answered with a 4xx or 5xx status, not {status}")
            payload = {"code": "FAIL", "message": (message or "失败")[:100]}
        body = json.dumps(payload, ensure_ascii=False).encode()
        return NotifyAnswer(status=status, content_type="application/json; charset=utf-8", body=body)

    # -- HTTP

    def _json(self, method: str, path: str, payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
        _, content = self._call(method, path, payload)
        return _json_object(content)

    def _call(
        self, method: str, path: str, payload: Mapping[str, Any] | None = None, *, verify_answer: bool = True
    ) -> tuple[int, bytes]:
        """Send a signed request to ``path`` (below the base URL); the verified 2xx answer, or ChannelError."""
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        status, headers, content = self._exchange(method, self._prefix + path, body, payload is not None)
        if status >= 500:  # not verified: it carries nothing to act on but "try again"
            raise ChannelError("unavailable", f"HTTP {status} {_error_code(content)}".strip(), retryable=True)
        if verify_answer or not 200 <= status < 300:
            self._verify_platform(headers, content)
        if 200 <= status < 300:
            return status, content
        code = _error_code(content)
        if status == 404 or code in ("ORDER_NOT_EXIST", "RESOURCE_NOT_EXISTS", "NO_STATEMENT_EXIST"):
            raise ChannelError("not_found", code)
        if 400 <= status < 500:
            retryable = status == 429 or code in ("FREQUENCY_LIMITED", "STATEMENT_CREATING")
            raise ChannelError("refused", code or f"HTTP {status}", retryable=retryable)
        raise ChannelError("malformed", f"HTTP {status}")

    def _exchange(self, method: str, target: str, body: bytes, has_body: bool) -> tuple[int, dict[str, str], bytes]:
        """One request and its whole answer over a pooled connection: (status, lower-cased headers, body).

        A kept-alive connection may have been closed by the server while it sat idle, and the close can cross
        our request on the wire: the request then fails with the peer hanging up (RemoteDisconnected, a reset,
        a broken pipe) before a byte of an answer. Only then, and only on a connection that had served an
        earlier request, is the request sent once more, signed afresh, on a new connection. A new connection
        failing that way is not retried, nor is a time-out or a failure once the answer has begun (the server
        had the request: the caller recovers by querying, as after a time-out).

        Sending again is safe even in the rare case where the server did read the request before hanging up:
        the reads are reads, and WeChat's writes are idempotent on our numbers: an order created again with
        the same out_trade_no and parameters is the same order (same h5_url), closing a closed order is
        accepted again, and a refund asked again with the same out_refund_no is that refund, not a second one.
        """
        for attempt in (1, 2):
            connection, reused = self._pool.take() if attempt == 1 else (self._pool.new(), False)
            headers = {
                "Authorization": authorization(
                    mchid=self.mchid, serial=self._serial, key=self._key, method=method, target=target, body=body
                ),
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": _USER_AGENT,
            }
            try:
                connection.request(method, target, body=body if has_body else None, headers=headers)
                response = connection.getresponse()
            except _HUNG_UP as error:
                connection.close()
                if reused:
                    continue
                raise ChannelError("unavailable", f"{method} {target}: {error!r}", retryable=True) from None
            except TimeoutError as error:
                connection.close()
                raise ChannelError("timeout", f"{method} {target}: {error}", retryable=True) from None
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                raise ChannelError("unavailable", f"{method} {target}: {error!r}", retryable=True) from None
            try:
                content = response.read()
            except TimeoutError as error:
                connection.close()
                raise ChannelError("timeout", f"{method} {target}: {error}", retryable=True) from None
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                raise ChannelError("unavailable", f"{method} {target}: {error!r}", retryable=True) from None
            self._pool.give_back(connection)  # the answer is read whole: the connection is free again
            return response.status, {k.lower(): v for k, v in response.getheaders()}, content
        raise AssertionError("unreachable: the second attempt returns or raises")

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


if TYPE_CHECKING:
    from payments.channels.base import CashChannel

    def _is_a_cash_channel(channel: WeChatPay) -> CashChannel:
        return channel


# --- keep-alive connections --------------------------------------------------------------------------------

# The peer hung up on a request before answering (RemoteDisconnected is a ConnectionResetError).
_HUNG_UP = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class _ConnectionPool:
    """Idle HTTP/1.1 connections to one origin, shared by the threads of a process (thread-safe).

    A call takes the most recently used idle connection (or a new one) for itself and gives it back once the
    answer is read whole; a connection that failed, or that the server said it would close, is not given
    back. An idle connection is dropped rather than reused when it has been idle ``idle_seconds`` (servers
    close idle connections: better before they do) or when the server has visibly closed it already. At most
    ``max_idle`` are kept. After a fork, the child leaves the parent's connections alone and opens its own.
    """

    def __init__(
        self, scheme: str, netloc: str, timeout: float, *, max_idle: int = 8, idle_seconds: float = 30.0
    ) -> None:
        self._class = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        self._netloc, self._timeout = netloc, timeout
        self._max_idle, self._idle_seconds = max_idle, idle_seconds
        self._idle: list[tuple[http.client.HTTPConnection, float]] = []  # oldest first, with when it went idle
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.opened = 0  # connections made so far (each is one TCP connection, and one TLS handshake)

    def take(self) -> tuple[http.client.HTTPConnection, bool]:
        """A connection for one request, and whether it is a reused one."""
        stale: list[http.client.HTTPConnection] = []
        found: http.client.HTTPConnection | None = None
        now = time.monotonic()
        with self._lock:
            self._after_fork()
            while self._idle:
                connection, since = self._idle.pop()
                if now - since < self._idle_seconds and not _dropped(connection.sock):
                    found = connection
                    break
                stale.append(connection)
        for connection in stale:
            connection.close()
        return (found, True) if found is not None else (self.new(), False)

    def new(self) -> http.client.HTTPConnection:
        """A new connection (it connects on its first request)."""
        with self._lock:
            self.opened += 1
        return self._class(self._netloc, timeout=self._timeout)

    def give_back(self, connection: http.client.HTTPConnection) -> None:
        if connection.sock is None:  # closed: the server answered "Connection: close", or HTTP/1.0
            return
        evicted: http.client.HTTPConnection | None = connection
        with self._lock:
            if not self._after_fork():
                self._idle.append((connection, time.monotonic()))
                evicted = self._idle.pop(0)[0] if len(self._idle) > self._max_idle else None
        if evicted is not None:
            evicted.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection, _ in idle:
            connection.close()

    def _after_fork(self) -> bool:
        """In a forked child, forget the parent's connections (closing our copies of their descriptors only);
        True if this process is such a child. Called with the lock held."""
        if self._pid == os.getpid():
            return False
        for connection, _ in self._idle:
            connection.close()
        self._idle, self._pid = [], os.getpid()
        return True


def _dropped(sock: socket.socket | None) -> bool:
    """Whether an idle connection is unusable: closed, or readable (the server's FIN or reset, or bytes it
    should not have sent) without waiting."""
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):  # no FD_SETSIZE limit
            poller = select.poll()
            poller.register(sock, select.POLLIN | select.POLLPRI)  # POLLERR and POLLHUP come anyway
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    except (OSError, ValueError):
        return True


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


def _trade_state(value: str) -> TradeState:
    state = TRADE_STATES.get(value)
    if state is None:
        raise ChannelError("malformed", f"trade_state {value!r}")
    return state


def _refund_state(value: str) -> RefundState:
    state = REFUND_STATES.get(value)
    if state is None:
        raise ChannelError("malformed", f"refund status {value!r}")
    return state
