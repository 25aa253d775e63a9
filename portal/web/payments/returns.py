"""Back from a channel's cashier: Alipay's synchronous return (the ``return_url`` of its wap pay request).

After paying, Alipay's cashier sends the payer's browser to the merchant's return URL with the trade's
``out_trade_no`` (our order number), ``trade_no`` and ``total_amount``, signed. That return is no proof of
payment (only the notify, or a query, settles a bill), so nothing in it is believed but which bill to show:
the payer lands on that bill's page, which says where it stands now (waiting for Alipay's notify and
reloading by itself, or paid). The bill page asks for sign-in (and comes back to the bill) and answers "not
found" for a number that is not one of the resident's bills, so this route needs neither: it only echoes the
number it was given as a path. A malformed number goes to the bills.

WeChat Pay needs no route here: its H5 page goes back to the ``redirect_url`` added to its pay URL (the bill).
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

_ORDER_NUMBER = re.compile(r"[A-Za-z0-9_-]{1,64}")


def alipay_return(request: HttpRequest) -> HttpResponse:
    number = request.GET.get("out_trade_no", "")
    if not _ORDER_NUMBER.fullmatch(number):
        return HttpResponseRedirect(reverse("web-payments"))
    return HttpResponseRedirect(reverse("web-payment-order", kwargs={"number": number}))
