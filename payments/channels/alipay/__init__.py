"""Alipay (支付宝) as a cash channel: the OpenAPI gateway with RSA2 signatures, the wap (H5) pay order.

``client.Alipay`` is the ``CashChannel`` adapter; ``protocol`` holds the signing and answer rules it shares
with the stand-in; ``bill`` reads (and writes) the daily bill. ``standin`` is a local Alipay for the
embedded mode and tests, and ``dev`` its development configuration (keys in ``devkeys/``): neither is for
production, and neither is imported by the adapter.
"""
