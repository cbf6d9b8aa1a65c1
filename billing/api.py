"""Invoices and payment methods for the mobile apps: /api/invoices, /api/payment-methods."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import CustomerAPIView
from billing import documents, providers, selectors
from billing.models import (
    PAID_PAYMENT_STATUSES,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentMethodType,
    PaymentStatus,
    Refund,
)
from billing.services import webhooks
from billing.services.payment_methods import (
    add_payment_method,
    remove_payment_method,
    set_default_payment_method,
)
from billing.services.payments import IDEMPOTENCY_KEY_MAX_LENGTH, pay_invoice
from portal.dates import tokyo_today
from portal.pagination import LIMIT_PARAMETER, parse_limit
from portal.serializers import MAX_ID, DateTimeField, ErrorSerializer, MoneyField

# --- Invoices ----------------------------------------------------------------------------


class InvoiceListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=InvoiceStatus.values, required=False)


class InvoiceLineOutput(serializers.Serializer):
    description = serializers.CharField(
        source="display_description", help_text="In the reader's language"
    )
    amount = MoneyField()


class InvoiceOutput(serializers.Serializer):
    """Needs `today` (a date in Japan) in the context, for `overdue`."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    issuedOn = serializers.DateField(source="issued_on")
    dueDate = serializers.DateField(source="due_date")
    total = MoneyField(help_text="Tax included")
    tax = MoneyField(help_text="The consumption tax included in the total")
    status = serializers.ChoiceField(choices=InvoiceStatus.values)
    overdue = serializers.SerializerMethodField(help_text="Unpaid after its due date (Japan time)")
    paidAt = DateTimeField(source="paid_at", allow_null=True)
    href = serializers.SerializerMethodField(help_text="The invoice page in the portal")

    def get_overdue(self, invoice: Invoice) -> bool:
        return invoice.is_overdue(today=self.context["today"])

    def get_href(self, invoice: Invoice) -> str:
        return reverse("billing-invoice", args=[invoice.pk])


class InvoicePeriodOutput(serializers.Serializer):
    start = serializers.DateField(help_text="The first day billed (Japan)")
    end = serializers.DateField(help_text="The last day billed (Japan)")


class AutoChargeOutput(serializers.Serializer):
    nextAttemptAt = DateTimeField(allow_null=True)
    attempts = serializers.IntegerField()
    lastFailure = serializers.CharField(allow_null=True)


class InvoiceDetailOutput(InvoiceOutput):
    lines = InvoiceLineOutput(many=True, source="lines.all")
    period = serializers.SerializerMethodField(
        help_text="The month a monthly invoice bills; null for a one-off invoice"
    )
    kind = serializers.ChoiceField(choices=InvoiceKind.values)
    autoCharge = serializers.SerializerMethodField(
        method_name="get_auto_charge",
        help_text="The automatic charge of the card on file; null while none is planned",
    )
    suspendsOn = serializers.SerializerMethodField(
        method_name="get_suspends_on",
        help_text="When the services are suspended if it stays unpaid; null when they are not",
    )

    @extend_schema_field(InvoicePeriodOutput(allow_null=True))
    def get_period(self, invoice: Invoice) -> dict[str, str] | None:
        if invoice.period_start is None or invoice.period_end is None:
            return None
        return {"start": invoice.period_start.isoformat(), "end": invoice.period_end.isoformat()}

    # Automatic collection and suspension (DESIGN.md section 12).
    @extend_schema_field(AutoChargeOutput(allow_null=True))
    def get_auto_charge(self, invoice: Invoice) -> dict[str, Any] | None:
        auto = selectors.get_auto_charge(invoice=invoice, now=self.context["now"])
        if auto is None:
            return None
        return dict(
            AutoChargeOutput(
                {
                    "nextAttemptAt": auto.next_attempt_at,
                    "attempts": auto.attempts,
                    "lastFailure": auto.last_failure,
                }
            ).data
        )

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_suspends_on(self, invoice: Invoice) -> str | None:
        day = selectors.get_suspends_on(invoice=invoice)
        return day.isoformat() if day else None


class InvoicePageOutput(serializers.Serializer):
    items = InvoiceOutput(many=True)
    nextCursor = serializers.CharField(allow_null=True)


class InvoiceListView(CustomerAPIView):
    """A page of the customer's invoices, all of them or those of one status."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                enum=InvoiceStatus.values,
                description="Only invoices in this status; `unpaid` lists the soonest due "
                "(overdue) first, everything else is newest issued first.",
            ),
            LIMIT_PARAMETER,
            OpenApiParameter("cursor", str, description="`nextCursor` of the previous page"),
        ],
        responses={200: InvoicePageOutput, 400: ErrorSerializer, 401: ErrorSerializer},
        operation_id="invoices_list",
        summary="The customer's invoices",
    )
    def get(self, request: Request) -> Response:
        query = InvoiceListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        status = query.validated_data.get("status")
        page = selectors.list_invoices(
            customer=self.customer,
            statuses={status} if status else None,
            limit=parse_limit(request.query_params.get("limit")),
            cursor=request.query_params.get("cursor"),
        )
        items = InvoiceOutput(page.items, many=True, context={"today": tokyo_today()})
        return Response({"items": items.data, "nextCursor": page.next_cursor})


class InvoiceDetailView(CustomerAPIView):
    """One invoice with its lines; another customer's invoice is a 404."""

    @extend_schema(
        responses={200: InvoiceDetailOutput, 401: ErrorSerializer, 404: ErrorSerializer},
        summary="One invoice with its lines",
    )
    def get(self, request: Request, invoice_id: int) -> Response:
        invoice = selectors.get_invoice_detail_for_customer(
            customer=self.customer, invoice_id=invoice_id
        )
        now = timezone.now()
        context = {"today": tokyo_today(now=now), "now": now}
        return Response(InvoiceDetailOutput(invoice, context=context).data)


# --- Payment methods ---------------------------------------------------------------------


class PaymentMethodOutput(serializers.Serializer):
    """Needs `today` (a date in Japan) in the context, for `expiresSoon`."""

    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=PaymentMethodType.values)
    brand = serializers.CharField()
    last4 = serializers.CharField()
    expMonth = serializers.IntegerField(source="exp_month", allow_null=True)
    expYear = serializers.IntegerField(source="exp_year", allow_null=True)
    isDefault = serializers.BooleanField(source="is_default")
    expiresSoon = serializers.SerializerMethodField(
        method_name="get_expires_soon",
        help_text="The card stops working before the end of next month, or already has",
    )

    def get_expires_soon(self, method: PaymentMethod) -> bool:
        return method.expires_soon(today=self.context["today"])


class PaymentMethodListOutput(serializers.Serializer):
    items = PaymentMethodOutput(many=True)


class PaymentMethodInput(serializers.Serializer):
    token = serializers.CharField(
        max_length=255, help_text="The token the payment processor's client library returned"
    )


def _payment_method_data(method: PaymentMethod) -> dict[str, Any]:
    return PaymentMethodOutput(method, context={"today": tokyo_today()}).data


class PaymentMethodListView(CustomerAPIView):
    """The customer's payment methods, and adding one from a processor token."""

    @extend_schema(
        responses={200: PaymentMethodListOutput, 401: ErrorSerializer, 503: ErrorSerializer},
        operation_id="payment_methods_list",
        summary="The customer's payment methods, the default first",
        description="Not paginated: a customer has a handful of payment methods. "
        "`503 billing_unavailable` when the billing provider does not answer.",
    )
    def get(self, request: Request) -> Response:
        methods = providers.list_payment_methods(customer=self.customer)
        items = PaymentMethodOutput(methods, many=True, context={"today": tokyo_today()})
        return Response({"items": items.data})

    @extend_schema(
        request=PaymentMethodInput,
        responses={
            201: PaymentMethodOutput,
            200: PaymentMethodOutput,
            400: ErrorSerializer,
            401: ErrorSerializer,
        },
        summary="Add a payment method from a processor token",
        description="The first method becomes the default. Sending a token that was already "
        "added answers 200 with the method it added, and stores nothing new. A token the "
        "processor refuses is a 400 naming `token`.",
    )
    def post(self, request: Request) -> Response:
        data = PaymentMethodInput(data=request.data)
        data.is_valid(raise_exception=True)
        added = add_payment_method(customer=self.customer, token=data.validated_data["token"])
        return Response(
            _payment_method_data(added.payment_method), status=201 if added.created else 200
        )


class PaymentMethodDetailView(CustomerAPIView):
    """Removing a payment method, under the one-method rule."""

    @extend_schema(
        request=None,
        responses={204: None, 401: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
        summary="Remove a payment method",
        description="Removing the default makes another method the default. The last method "
        "of a customer with an active service cannot be removed: "
        "`409 payment_method_required`.",
    )
    def delete(self, request: Request, payment_method_id: int) -> Response:
        remove_payment_method(customer=self.customer, payment_method_id=payment_method_id)
        return Response(status=204)


class PaymentMethodDefaultView(CustomerAPIView):
    """Choosing the default payment method; choosing it again changes nothing."""

    @extend_schema(
        request=None,
        responses={200: PaymentMethodOutput, 401: ErrorSerializer, 404: ErrorSerializer},
        summary="Make a payment method the default",
    )
    def post(self, request: Request, payment_method_id: int) -> Response:
        method = set_default_payment_method(
            customer=self.customer, payment_method_id=payment_method_id
        )
        return Response(_payment_method_data(method))


# --- Payments ----------------------------------------------------------------------------


class PaymentInput(serializers.Serializer):
    paymentMethodId = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="The method to charge; the default when absent",
    )


class PaymentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    invoiceId = serializers.IntegerField(source="invoice_id")
    amount = MoneyField()
    status = serializers.ChoiceField(choices=PaymentStatus.values)
    paidAt = DateTimeField(source="paid_at", allow_null=True)
    receiptUrl = serializers.SerializerMethodField(help_text="The receipt (PDF)")

    def get_receiptUrl(self, payment: Payment) -> str:
        return reverse("api-payment-receipt", args=[payment.pk])


class InvoicePaymentView(CustomerAPIView):
    """Paying an invoice now, once, whatever the network does to the request."""

    @extend_schema(
        request=PaymentInput,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                # What pay_invoice takes: not blank once trimmed, at most the maximum.
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
                    "pattern": r"\S",
                },
                location=OpenApiParameter.HEADER,
                required=True,
                description="Unique to this payment (a UUID). Sending the same key again "
                "gives the same answer and charges nothing more.",
            )
        ],
        responses={
            201: PaymentOutput,
            400: ErrorSerializer,
            401: ErrorSerializer,
            402: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            503: ErrorSerializer,
        },
        operation_id="invoice_payments_create",
        summary="Pay an invoice now",
        description="Charges the chosen payment method (the default one when "
        "`paymentMethodId` is absent). The invoice becomes `paid` and `PAYMENT_RECEIVED` is "
        "created. `402 payment_declined` when the card is declined, `409 "
        "invoice_already_paid`, `409 payment_method_required` without a payment method, "
        "`400` without the `Idempotency-Key` header, `503 billing_unavailable` when the "
        "processor cannot be reached (nothing is charged twice when you retry).",
    )
    def post(self, request: Request, invoice_id: int) -> Response:
        data = PaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment = pay_invoice(
            customer=self.customer,
            invoice_id=invoice_id,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            payment_method_id=data.validated_data.get("paymentMethodId"),
        )
        return Response(PaymentOutput(payment).data, status=201)


class PaymentMethodSummaryOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=PaymentMethodType.values)
    brand = serializers.CharField()
    last4 = serializers.CharField()


class RefundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = MoneyField()
    createdAt = DateTimeField(source="created_at")
    creditNoteUrl = serializers.SerializerMethodField(help_text="The credit note (PDF)")

    def get_creditNoteUrl(self, refund: Refund) -> str:
        return reverse("api-refund-pdf", args=[refund.pk])


class PaymentHistoryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    invoiceId = serializers.IntegerField(source="invoice_id")
    amount = MoneyField()
    status = serializers.ChoiceField(choices=PaymentStatus.values)
    method = serializers.SerializerMethodField(
        help_text="What it was paid with; null once that payment method was removed"
    )
    createdAt = DateTimeField(source="created_at")
    paidAt = DateTimeField(source="paid_at", allow_null=True)
    failureReason = serializers.SerializerMethodField(
        method_name="get_failure_reason", help_text="Why it was declined; null otherwise"
    )
    refunds = RefundOutput(many=True, source="refunds.all")
    receiptUrl = serializers.SerializerMethodField(
        help_text="The receipt (PDF) of a payment made; null otherwise"
    )

    @extend_schema_field(PaymentMethodSummaryOutput(allow_null=True))
    def get_method(self, payment: Payment) -> dict[str, Any] | None:
        method = payment.payment_method
        if method is None:
            return None
        return {"type": method.type, "brand": method.brand, "last4": method.last4}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_failure_reason(self, payment: Payment) -> str | None:
        return payment.failure_message or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_receiptUrl(self, payment: Payment) -> str | None:
        if payment.status not in PAID_PAYMENT_STATUSES:
            return None
        return reverse("api-payment-receipt", args=[payment.pk])


class PaymentPageOutput(serializers.Serializer):
    items = PaymentHistoryOutput(many=True)
    nextCursor = serializers.CharField(allow_null=True)


class PaymentListView(CustomerAPIView):
    """The customer's payment history, newest first, with the refunds of each payment."""

    @extend_schema(
        parameters=[
            LIMIT_PARAMETER,
            OpenApiParameter("cursor", str, description="`nextCursor` of the previous page"),
        ],
        responses={200: PaymentPageOutput, 400: ErrorSerializer, 401: ErrorSerializer},
        operation_id="payments_list",
        summary="The customer's payments",
    )
    def get(self, request: Request) -> Response:
        page = selectors.list_payments(
            customer=self.customer,
            limit=parse_limit(request.query_params.get("limit")),
            cursor=request.query_params.get("cursor"),
        )
        items = PaymentHistoryOutput(page.items, many=True)
        return Response({"items": items.data, "nextCursor": page.next_cursor})


def pdf_response(content: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class InvoicePdfView(CustomerAPIView):
    """The qualified invoice (適格請求書) as a PDF, in the customer's language."""

    @extend_schema(
        responses={
            (200, "application/pdf"): bytes,
            401: ErrorSerializer,
            404: ErrorSerializer,
        },
        summary="Download the invoice (qualified invoice, PDF)",
    )
    def get(self, request: Request, invoice_id: int) -> HttpResponse:
        invoice = selectors.get_invoice_for_customer(customer=self.customer, invoice_id=invoice_id)
        content = documents.render_invoice_pdf(invoice=invoice, language=self.customer.language)
        return pdf_response(content, filename=f"{invoice.number}.pdf")


class PaymentReceiptView(CustomerAPIView):
    """The receipt (領収書) of a payment as a PDF, in the customer's language."""

    @extend_schema(
        responses={
            (200, "application/pdf"): bytes,
            401: ErrorSerializer,
            404: ErrorSerializer,
        },
        summary="Download the receipt of a payment (PDF)",
    )
    def get(self, request: Request, payment_id: int) -> HttpResponse:
        payment = selectors.get_paid_payment_for_customer(
            customer=self.customer, payment_id=payment_id
        )
        content = documents.render_receipt_pdf(payment=payment, language=self.customer.language)
        return pdf_response(content, filename=f"{payment.receipt_number}.pdf")


class RefundCreditNoteView(CustomerAPIView):
    """The credit note (返還インボイス) of a refund as a PDF, in the customer's language."""

    @extend_schema(
        responses={
            (200, "application/pdf"): bytes,
            401: ErrorSerializer,
            404: ErrorSerializer,
        },
        summary="Download the credit note of a refund (PDF)",
    )
    def get(self, request: Request, refund_id: int) -> HttpResponse:
        refund = selectors.get_refund_for_customer(customer=self.customer, refund_id=refund_id)
        content = documents.render_credit_note_pdf(refund=refund, language=self.customer.language)
        return pdf_response(content, filename=f"{refund.credit_note_number}.pdf")


class StripeEventAck(serializers.Serializer):
    received = serializers.BooleanField()


class StripeWebhookView(APIView):
    """Stripe's events. The `Stripe-Signature` header is the authentication."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        # Read raw: the signature covers the body's bytes.
        request={"application/json": {"type": "object"}},
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="t=<timestamp>,v1=<hex HMAC-SHA256>, as Stripe signs",
            )
        ],
        responses={
            200: OpenApiResponse(StripeEventAck, description="Handled, or already seen"),
            400: OpenApiResponse(ErrorSerializer, description="Missing or wrong signature"),
            413: OpenApiResponse(ErrorSerializer, description="`payload_too_large`"),
        },
        auth=[],
        summary="Receive a Stripe event",
    )
    def post(self, request: Request) -> Response:
        # A replay is answered like the first delivery: Stripe only needs to stop sending it.
        webhooks.receive_stripe_event(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
        return Response(StripeEventAck({"received": True}).data)
