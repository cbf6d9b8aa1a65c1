"""The services API: a customer's subscriptions and their cancellation."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import CustomerAPIView
from portal.pagination import LIMIT_PARAMETER, paginate, parse_limit
from portal.serializers import DateTimeField, ErrorSerializer, MoneyField, StrictCharField
from subscriptions import selectors, services
from subscriptions.models import (
    CancellationReason,
    CancellationRequest,
    CancellationStatus,
    PlanKind,
    Subscription,
    SubscriptionStatus,
    SuspensionReason,
)

# Identifiers that only one kind of service has; the other kind's keys are left out.
_KEYS_BY_KIND = {
    PlanKind.SIM: ("msisdn", "iccid"),
    PlanKind.INTERNET: ("installationAddress", "lineId"),
}


def service_href(subscription_id: int) -> str:
    return reverse("service", args=[subscription_id])


class SubscriptionPlanOutput(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=PlanKind.choices)
    name = serializers.CharField(source="display_name")
    monthlyPrice = MoneyField(source="monthly_price")


class CancellationSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    effectiveOn = serializers.DateField(source="effective_on", help_text="The last day of service")
    reason = serializers.ChoiceField(choices=CancellationReason.choices)
    status = serializers.ChoiceField(choices=CancellationStatus.choices)
    requestedAt = DateTimeField(source="requested_at")


class SuspensionOutput(serializers.Serializer):
    since = DateTimeField(source="started_at")
    reason = serializers.ChoiceField(choices=SuspensionReason.choices)


class SubscriptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=PlanKind.choices)
    status = serializers.ChoiceField(choices=SubscriptionStatus.choices)
    plan = SubscriptionPlanOutput()
    activatedAt = DateTimeField(source="activated_at", allow_null=True)
    msisdn = serializers.CharField(required=False, allow_null=True, help_text="SIM only")
    iccid = serializers.CharField(required=False, allow_null=True, help_text="SIM only")
    installationAddress = serializers.CharField(
        source="installation_address", required=False, allow_null=True, help_text="Internet only"
    )
    lineId = serializers.CharField(
        source="line_id", required=False, allow_null=True, help_text="Internet only"
    )
    cancellation = serializers.SerializerMethodField(
        help_text="The scheduled cancellation, or the completed one that ended the service"
    )
    suspended = serializers.SerializerMethodField(
        help_text="Why and since when the service is suspended; null while it is not"
    )
    href = serializers.SerializerMethodField()

    @extend_schema_field(SuspensionOutput(allow_null=True))
    def get_suspended(self, subscription: Subscription) -> dict[str, Any] | None:
        suspension = selectors.current_suspension(subscription)
        if suspension is None:
            return None
        return dict(SuspensionOutput(suspension).data)

    @extend_schema_field(CancellationSummaryOutput(allow_null=True))
    def get_cancellation(self, subscription: Subscription) -> dict[str, Any] | None:
        cancellation = selectors.current_cancellation(subscription)
        if cancellation is None:
            return None
        return dict(CancellationSummaryOutput(cancellation).data)

    def get_href(self, subscription: Subscription) -> str:
        return service_href(subscription.pk)

    def to_representation(self, instance: Subscription) -> dict[str, Any]:
        data = super().to_representation(instance)
        for kind, keys in _KEYS_BY_KIND.items():
            for key in keys:
                if kind == instance.kind:
                    data[key] = data[key] or None
                else:
                    del data[key]
        return data


class SubscriptionPageOutput(serializers.Serializer):
    items = SubscriptionOutput(many=True)
    nextCursor = serializers.CharField(allow_null=True)


class ReasonOutput(serializers.Serializer):
    code = serializers.CharField(help_text="The value to send as `reason`")
    # A declared field, not Field.label: the serializer metaclass takes it out of the class.
    label = serializers.CharField()  # type: ignore[assignment]


class CancellationOptionsOutput(serializers.Serializer):
    effectiveDates = serializers.ListField(
        child=serializers.DateField(), help_text="Offered last days of service, earliest first"
    )
    reasons = ReasonOutput(many=True)


class CancellationInput(serializers.Serializer):
    effectiveOn = serializers.DateField(help_text="One of the offered effectiveDates")
    reason = serializers.ChoiceField(
        choices=CancellationReason.choices,
        help_text="One of the offered reason codes",
        error_messages={"invalid_choice": gettext_lazy("Choose one of the listed reasons.")},
    )
    comments = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=f"At most {services.COMMENTS_MAX_LENGTH} characters",
        schema={"maxLength": services.COMMENTS_MAX_LENGTH},
    )


class CancellationRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    subscriptionId = serializers.IntegerField(source="subscription_id")
    effectiveOn = serializers.DateField(source="effective_on", help_text="The last day of service")
    reason = serializers.ChoiceField(choices=CancellationReason.choices)
    comments = serializers.CharField()
    status = serializers.ChoiceField(choices=CancellationStatus.choices)
    requestedAt = DateTimeField(source="requested_at")


_NOT_FOUND = {401: ErrorSerializer, 404: ErrorSerializer}


class SubscriptionListView(CustomerAPIView):
    """Every service of the customer, whatever its status, with its current cancellation."""

    @extend_schema(
        parameters=[
            LIMIT_PARAMETER,
            OpenApiParameter("cursor", str, description="nextCursor of the previous page"),
        ],
        responses={200: SubscriptionPageOutput, 400: ErrorSerializer, 401: ErrorSerializer},
        summary="The customer's services, newest first",
        operation_id="subscriptions_list",
    )
    def get(self, request: Request) -> Response:
        page = paginate(
            selectors.list_subscriptions_for_customer(customer=self.customer),
            order_field="created_at",
            limit=parse_limit(request.query_params.get("limit")),
            cursor=request.query_params.get("cursor"),
        )
        return Response(
            {
                "items": SubscriptionOutput(page.items, many=True).data,
                "nextCursor": page.next_cursor,
            }
        )


class SubscriptionDetailView(CustomerAPIView):
    """One service: plan, status, identifiers and its current cancellation."""

    @extend_schema(
        responses={200: SubscriptionOutput, **_NOT_FOUND},
        summary="One service",
        operation_id="subscriptions_retrieve",
    )
    def get(self, request: Request, subscription_id: int) -> Response:
        subscription = selectors.get_subscription_for_customer(
            customer=self.customer, subscription_id=subscription_id
        )
        return Response(SubscriptionOutput(subscription).data)


class CancellationOptionsView(CustomerAPIView):
    """Three month ends (this month's while it is on or before the 25th in Tokyo, else from
    next month's) and the reasons, with labels in the customer's language."""

    @extend_schema(
        responses={200: CancellationOptionsOutput, **_NOT_FOUND},
        summary="The dates and reasons a cancellation of this service may use",
        operation_id="subscriptions_cancellation_options",
    )
    def get(self, request: Request, subscription_id: int) -> Response:
        selectors.get_subscription_for_customer(
            customer=self.customer, subscription_id=subscription_id
        )
        options = services.cancellation_options(now=timezone.now())
        return Response(
            {
                "effectiveDates": [day.isoformat() for day in options.effective_dates],
                "reasons": [{"code": code, "label": label} for code, label in options.reasons],
            }
        )


class CancellationCreateView(CustomerAPIView):
    """Schedule the end of a service on one of the offered dates, or withdraw it."""

    @extend_schema(
        request=CancellationInput,
        responses={
            202: CancellationRequestOutput,
            400: ErrorSerializer,
            409: ErrorSerializer,
            **_NOT_FOUND,
        },
        summary="Schedule the cancellation of a service",
        operation_id="subscriptions_cancel",
        description=(
            "`409 cancellation_already_scheduled` when one is already scheduled, "
            "`409 subscription_cancelled` when the service has ended, "
            "`409 subscription_suspended` when it is suspended (support cancels those)."
        ),
    )
    def post(self, request: Request, subscription_id: int) -> Response:
        data = CancellationInput(data=request.data)
        data.is_valid(raise_exception=True)
        cancellation: CancellationRequest = services.request_cancellation(
            customer=self.customer,
            subscription_id=subscription_id,
            effective_on=data.validated_data["effectiveOn"],
            reason=data.validated_data["reason"],
            comments=data.validated_data["comments"],
        )
        return Response(
            CancellationRequestOutput(cancellation).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        request=None,
        responses={200: CancellationRequestOutput, 409: ErrorSerializer, **_NOT_FOUND},
        summary="Withdraw the scheduled cancellation of a service",
        operation_id="subscriptions_withdraw_cancellation",
        description=(
            "The service continues. `409 cancellation_not_withdrawable` when no cancellation "
            "is scheduled (never requested, already withdrawn or completed)."
        ),
    )
    def delete(self, request: Request, subscription_id: int) -> Response:
        cancellation: CancellationRequest = services.withdraw_scheduled_cancellation(
            customer=self.customer, subscription_id=subscription_id
        )
        return Response(CancellationRequestOutput(cancellation).data)
