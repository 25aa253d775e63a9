"""The one trusted client address, for every limit and record in the API and the web pages.

By default it is ``REMOTE_ADDR``: ``X-Forwarded-For`` is written by the client and proves nothing. Behind
proxies, the operator says which to trust:

- ``TRUSTED_PROXY_COUNT=N``: N proxies in front of the service, each appending to ``X-Forwarded-For``; the
  client is the address N entries from the right (the rightmost N-1 entries and ``REMOTE_ADDR`` are ours);
- ``TRUSTED_PROXIES=10.0.0.0/8,...``: walk ``X-Forwarded-For`` from the right past every address inside
  these networks; the first one outside is the client. ``REMOTE_ADDR`` itself must be a trusted proxy,
  otherwise the header is ignored.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(request: Any) -> str:
    """The client's address as far as the configured proxies can vouch for it (a Django or DRF request)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    forwarded = [
        part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if part.strip()
    ]
    count: int = settings.TRUSTED_PROXY_COUNT
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    if trusted:
        hops = [*forwarded, remote]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                return remote  # a malformed hop: trust nothing further out
            if not any(address in network for network in trusted):
                return str(address)
        return remote
    if count and len(forwarded) >= count:
        address = _address(forwarded[-count])
        return str(address) if address is not None else remote
    return remote
