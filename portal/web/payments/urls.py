"""Residents' payments pages (under /payments/)."""

from django.urls import path

from portal.web.payments import returns, settlements, views

urlpatterns = [
    path("", views.index, name="web-payments"),
    path("orders/<str:number>", views.order_detail, name="web-payment-order"),
    path("orders/<str:number>/pay", views.order_pay, name="web-payment-pay"),
    path("orders/<str:number>/check", views.order_check, name="web-payment-check"),
    path("orders/<str:number>/cancel", views.order_cancel, name="web-payment-cancel"),
    path("alipay/return", returns.alipay_return, name="web-payment-alipay-return"),  # Alipay's return_url
    path("settlements/", settlements.settlement_list, name="web-settlements"),
    path("settlements/<str:number>", settlements.settlement_detail, name="web-settlement"),
]
