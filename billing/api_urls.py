"""API routes under /api/."""

from django.urls import path

from billing import api

urlpatterns = [
    path(
        "integrations/stripe/webhook",
        api.StripeWebhookView.as_view(),
        name="api-stripe-webhook",
    ),
    path("invoices", api.InvoiceListView.as_view(), name="api-invoices"),
    path("invoices/<int:invoice_id>", api.InvoiceDetailView.as_view(), name="api-invoice"),
    path(
        "invoices/<int:invoice_id>/payments",
        api.InvoicePaymentView.as_view(),
        name="api-invoice-payments",
    ),
    path("invoices/<int:invoice_id>/pdf", api.InvoicePdfView.as_view(), name="api-invoice-pdf"),
    path("payments", api.PaymentListView.as_view(), name="api-payments"),
    path("refunds/<int:refund_id>/pdf", api.RefundCreditNoteView.as_view(), name="api-refund-pdf"),
    path(
        "payments/<int:payment_id>/receipt",
        api.PaymentReceiptView.as_view(),
        name="api-payment-receipt",
    ),
    path("payment-methods", api.PaymentMethodListView.as_view(), name="api-payment-methods"),
    path(
        "payment-methods/<int:payment_method_id>",
        api.PaymentMethodDetailView.as_view(),
        name="api-payment-method",
    ),
    path(
        "payment-methods/<int:payment_method_id>/default",
        api.PaymentMethodDefaultView.as_view(),
        name="api-payment-method-default",
    ),
]
