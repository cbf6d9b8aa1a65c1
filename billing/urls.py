"""Page routes under /account/ (included with the prefix "", so paths are written in full)."""

from django.urls import path

from billing import views

urlpatterns = [
    path("billing", views.billing_home, name="billing"),
    path("billing/invoices", views.invoice_list, name="billing-invoices"),
    path("billing/invoices/<int:invoice_id>", views.invoice_detail, name="billing-invoice"),
    path("billing/invoices/<int:invoice_id>/pay", views.pay_invoice, name="billing-invoice-pay"),
    path("billing/invoices/<int:invoice_id>/pdf", views.invoice_pdf, name="billing-invoice-pdf"),
    path("billing/payments", views.payment_history, name="billing-payments"),
    path(
        "billing/refunds/<int:refund_id>/pdf",
        views.refund_credit_note,
        name="billing-refund-pdf",
    ),
    path(
        "billing/payments/<int:payment_id>/receipt",
        views.payment_receipt,
        name="billing-payment-receipt",
    ),
    path("billing/payment-methods", views.payment_methods, name="billing-payment-methods"),
    path(
        "billing/payment-methods/add",
        views.add_payment_method,
        name="billing-payment-method-add",
    ),
    path(
        "billing/payment-methods/<int:payment_method_id>/remove",
        views.remove_payment_method,
        name="billing-payment-method-remove",
    ),
    path(
        "billing/payment-methods/<int:payment_method_id>/default",
        views.make_default_payment_method,
        name="billing-payment-method-default",
    ),
]
