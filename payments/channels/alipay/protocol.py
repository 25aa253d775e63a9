"""Alipay OpenAPI (the classic gateway, ``gateway.do``): parameters, RSA2 signing, answers, notifies, amounts.

The protocol, as Alipay specifies it:

- a request is a set of parameters (``app_id``, ``method``, ``format=JSON``, ``charset=utf-8``,
  ``sign_type=RSA2``, ``timestamp`` in Beijing time, ``version=1.0``, ``notify_url``/``return_url`` where
  relevant, ``biz_content`` as a JSON string) POSTed form-encoded to the gateway, or put in the query string
  of the gateway URL for the wap pay page;
- its ``sign`` is RSA-SHA256 (PKCS#1 v1.5, "RSA2"), base64, with the app's private key over the *signing
  content*: every parameter but ``sign`` with a non-empty value, sorted by name, ``name=value`` joined with
  ``&``, the values raw (not URL-encoded);
- an answer is JSON ``{"<method, dots as underscores>_response": {...}, "sign": "..."}`` (``error_response``
  for gateway errors); ``sign`` is Alipay's RSA2 signature over the *exact text* of the ``*_response`` value,
  so it is cut from the raw body (:func:`split_answer`), never re-serialised;
- an asynchronous notify is a form-encoded POST; its signing content is every parameter but ``sign`` and
  ``sign_type`` (URL-decoded, non-empty, sorted), verified with Alipay's public key.

These helpers are shared by the adapter (:mod:`payments.channels.alipay.client`) and the stand-in
(:mod:`payments.channels.alipay.standin`), which speaks the same protocol from Alipay's side.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from portal import money

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # Alipay's timestamp, time_expire, notify_time, gmt_* and bill times
GATEWAY_PATH = "/gateway.do"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=utf-8"
SUCCESS = "10000"  # the answer's ``code`` when the call succeeded
NOTIFY_UNSIGNED = ("sign", "sign_type")  # a notify's parameters outside its signing content

_WS = re.compile(r"[ \t\n\r]*")
_YUAN = re.compile(r"-?[0-9]+(?:\.[0-9]{1,2})?")


# --- keys and signatures ------------------------------------------------------------------------------------


def load_private_key(data: bytes) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM, or from the bare base64 DER (PKCS#8 or PKCS#1) Alipay's key tool writes."""
    key: Any
    if b"-----BEGIN" in data:
        key = serialization.load_pem_private_key(data, password=None)
    else:
        key = serialization.load_der_private_key(_bare_base64(data), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(data: bytes) -> rsa.RSAPublicKey:
    """An RSA public key from PEM, or from the bare base64 DER Alipay's open platform shows ("支付宝公钥")."""
    key: Any
    if b"-----BEGIN" in data:
        key = serialization.load_pem_public_key(data)
    else:
        key = serialization.load_der_public_key(_bare_base64(data))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _bare_base64(data: bytes) -> bytes:
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except binascii.Error:
        raise ValueError("neither PEM nor base64 DER") from None


def signing_content(params: Mapping[str, str], exclude: Iterable[str] = ("sign",)) -> str:
    """Every parameter but ``exclude`` with a non-empty value, sorted by name, ``k=v`` joined by ``&`` (raw)."""
    skip = frozenset(exclude)
    return "&".join(f"{name}={params[name]}" for name in sorted(params) if name not in skip and params[name] != "")


def notify_content(params: Mapping[str, str]) -> str:
    """A notify's signing content: its (URL-decoded) parameters but ``sign`` and ``sign_type``."""
    return signing_content(params, NOTIFY_UNSIGNED)


def rsa2_sign(key: rsa.RSAPrivateKey, content: str) -> str:
    """Base64 RSA-SHA256 (PKCS#1 v1.5) over the UTF-8 content: Alipay's ``RSA2``."""
    return base64.b64encode(key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(key: rsa.RSAPublicKey, content: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, content.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def signed(key: rsa.RSAPrivateKey, params: Mapping[str, str]) -> dict[str, str]:
    """``params`` with their ``sign`` added."""
    return {**params, "sign": rsa2_sign(key, signing_content(params))}


# --- requests and answers -----------------------------------------------------------------------------------


def biz_json(biz: Mapping[str, Any]) -> str:
    """``biz_content``: compact JSON, Chinese kept as is (it is signed as text, then URL-encoded)."""
    return json.dumps(biz, ensure_ascii=False, separators=(",", ":"))


def answer_key(method: str) -> str:
    """``alipay.trade.query`` -> ``alipay_trade_query_response``."""
    return method.replace(".", "_") + "_response"


def split_answer(text: str) -> dict[str, tuple[Any, str]]:
    """The members of a top-level JSON object, each as (value, the exact text of the value in ``text``).

    Alipay signs the text of the ``*_response`` member as it sent it; this is how it is recovered. Raises
    ValueError for anything but one JSON object (or for a repeated member)."""
    decoder = json.JSONDecoder()
    members: dict[str, tuple[Any, str]] = {}
    at = _WS.match(text).end()  # type: ignore[union-attr]  # matches the empty string at worst
    if text[at : at + 1] != "{":
        raise ValueError("not a JSON object")
    at = _skip(text, at + 1)
    if text[at : at + 1] == "}":
        at += 1
    else:
        while True:
            if text[at : at + 1] != '"':
                raise ValueError(f"a member name expected at {at}")
            name, at = decoder.raw_decode(text, at)
            at = _skip(text, at)
            if text[at : at + 1] != ":":
                raise ValueError(f"':' expected at {at}")
            start = _skip(text, at + 1)
            value, at = decoder.raw_decode(text, start)
            if name in members:
                raise ValueError(f"member {name!r} repeated")
            members[name] = (value, text[start:at])
            at = _skip(text, at)
            if text[at : at + 1] == ",":
                at = _skip(text, at + 1)
                continue
            if text[at : at + 1] == "}":
                at += 1
                break
            raise ValueError(f"',' or '}}' expected at {at}")
    if _skip(text, at) != len(text):
        raise ValueError("text after the JSON object")
    return members


def _skip(text: str, at: int) -> int:
    return _WS.match(text, at).end()  # type: ignore[union-attr]


def render_answer(key: rsa.RSAPrivateKey, name: str, payload: Mapping[str, Any]) -> bytes:
    """An answer body as Alipay writes it: the ``name`` member's text signed as written (stand-in side)."""
    inner = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f'{{"{name}":{inner},"sign":"{rsa2_sign(key, inner)}"}}'.encode()


def parse_form(body: bytes) -> dict[str, str]:
    """A form-encoded UTF-8 body (a notify, a gateway request) as one value per name; ValueError otherwise."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise ValueError("not a UTF-8 form") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise ValueError(f"parameter {name!r} repeated")
        form[name] = value
    return form


# --- times and amounts --------------------------------------------------------------------------------------


def beijing(moment: dt.datetime) -> str:
    """``2026-01-01 12:00:00``: Beijing time, to the second, as Alipay writes times."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def parse_beijing(text: str) -> dt.datetime:
    """Alipay's ``yyyy-MM-dd HH:mm:ss`` (Beijing time) as an aware datetime; ValueError otherwise."""
    return dt.datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=BEIJING)


def yuan(fen: int) -> str:
    """``1234`` -> ``"12.34"``: Alipay amounts are yuan with up to two decimals."""
    return money.fen_to_yuan(fen)


def fen(text: str) -> int:
    """``"12.34"`` -> ``1234`` exactly (no float); ValueError for anything but a plain amount."""
    text = text.strip()
    if not _YUAN.fullmatch(text):
        raise ValueError(f"not an amount: {text!r}")
    return money.yuan_to_fen(text)
