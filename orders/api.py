"""The catalog and orders under /api/: GET /plans, GET and POST /orders, GET /orders/{id}."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import CustomerAPIView
from orders import selectors
from orders.models import Order, OrderStatus
from orders.services.placing import cancel_order, place_order
from portal.pagination import LIMIT_PARAMETER, paginate, parse_limit
from portal.serializers import DateTimeField, ErrorSerializer, MoneyField, StrictCharField
from subscriptions.models import Plan, PlanKind

# --- Serializers ---------------------------------------------------------------------------


class PlanOutput(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=PlanKind.choices)
    name = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    monthlyPrice = MoneyField(source="monthly_price")

    def get_name(self, plan: Plan) -> str:
        return plan.name_in(self.context["language"])

    def get_description(self, plan: Plan) -> str:
        return plan.description_in(self.context["language"])


class PlanListOutput(serializers.Serializer):
    items = PlanOutput(many=True)


class OrderPlanOutput(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=PlanKind.choices)
    name = serializers.SerializerMethodField()

    def get_name(self, plan: Plan) -> str:
        return plan.name_in(self.context["language"])


class OrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="ORD-000017")
    externalId = serializers.CharField(source="external_id", help_text="The Salesforce Order Id")
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    plan = OrderPlanOutput()
    placedAt = DateTimeField(source="placed_at")
    approvedAt = DateTimeField(source="approved_at", allow_null=True)
    activatedAt = DateTimeField(source="activated_at", allow_null=True)
    failedAt = DateTimeField(source="failed_at", allow_null=True)
    failureReason = serializers.SerializerMethodField(
        help_text="Why the order failed or was rejected; null otherwise"
    )
    subscriptionId = serializers.IntegerField(source="subscription_id", allow_null=True)
    href = serializers.SerializerMethodField(help_text="The order's page in the portal")

    def get_failureReason(self, order: Order) -> str | None:
        return str(order.failure_reason_text) or None

    def get_href(self, order: Order) -> str:
        return reverse("order-detail", args=[order.pk])


class OrderPageOutput(serializers.Serializer):
    items = OrderOutput(many=True)
    nextCursor = serializers.CharField(allow_null=True)


class PlaceOrderInput(serializers.Serializer):
    planCode = StrictCharField(
        source="plan_code",
        max_length=40,
        help_text="The code of a plan on offer (GET /api/plans)",
        # A plan's code is a slug (subscriptions.models.Plan.code).
        schema={"pattern": r"^[-a-zA-Z0-9_]+$"},
    )
    installationAddress = StrictCharField(
        source="installation_address",
        required=False,
        allow_blank=True,
        help_text="Where to install the line; required for internet plans",
    )


_ERRORS: dict[int, Any] = {
    400: OpenApiResponse(ErrorSerializer, description="`validation_error`"),
    401: OpenApiResponse(ErrorSerializer, description="`not_authenticated`"),
}


# --- Views ---------------------------------------------------------------------------------


class PlanListView(CustomerAPIView):
    """The plans on offer, named and described in the customer's language."""

    @extend_schema(
        operation_id="plans_list",
        summary="The plans on offer",
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=PlanKind.values)],
        responses={200: PlanListOutput, **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        kind = selectors.parse_plan_kind(request.query_params.get("kind"))
        plans = selectors.list_active_plans(kind=kind)
        context = {"language": self.customer.language}
        return Response({"items": PlanOutput(plans, many=True, context=context).data})


class OrderListView(CustomerAPIView):
    """The customer's orders (cursor-paginated), and placing a new one.

    Internet needs eligibility `eligible` and an installation address; a SIM needs a
    verified residence card; one open order per kind at a time.
    """

    @extend_schema(
        operation_id="orders_list",
        summary="The customer's orders, newest first",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=OrderStatus.values),
            LIMIT_PARAMETER,
            OpenApiParameter("cursor", OpenApiTypes.STR),
        ],
        responses={200: OrderPageOutput, **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        order_status = selectors.parse_order_status(request.query_params.get("status"))
        limit = parse_limit(request.query_params.get("limit"))
        page = paginate(
            selectors.orders_for_customer(customer=self.customer, status=order_status),
            order_field="placed_at",
            limit=limit,
            cursor=request.query_params.get("cursor"),
        )
        items = OrderOutput(page.items, many=True, context={"language": self.customer.language})
        return Response({"items": items.data, "nextCursor": page.next_cursor})

    @extend_schema(
        operation_id="orders_create",
        summary="Place an order",
        request=PlaceOrderInput,
        responses={
            201: OrderOutput,
            **_ERRORS,
            409: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "`internet_eligibility_required`, `residence_card_verification_required`, "
                    "`payment_method_required`, `internet_already_active` or "
                    "`order_already_in_progress` (checked in this order, after the body; an "
                    "internet order's address must be the one whose eligibility was checked)"
                ),
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = PlaceOrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = place_order(customer=self.customer, **data.validated_data)
        body = OrderOutput(order, context={"language": self.customer.language}).data
        location = reverse("api-order-detail", args=[order.pk])
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class OrderDetailView(CustomerAPIView):
    """One of the customer's orders; another customer's is a 404."""

    @extend_schema(
        operation_id="orders_retrieve",
        summary="One order",
        responses={
            200: OrderOutput,
            401: _ERRORS[401],
            404: OpenApiResponse(ErrorSerializer, description="`not_found`"),
        },
    )
    def get(self, request: Request, order_id: int) -> Response:
        order = selectors.get_order_for_customer(customer=self.customer, order_id=order_id)
        return Response(OrderOutput(order, context={"language": self.customer.language}).data)


class OrderCancelView(CustomerAPIView):
    """Withdrawing an order while it waits for review."""

    @extend_schema(
        operation_id="orders_cancel",
        summary="Cancel an order that is pending review",
        request=None,
        responses={
            200: OrderOutput,
            401: _ERRORS[401],
            404: OpenApiResponse(ErrorSerializer, description="`not_found`"),
            409: OpenApiResponse(
                ErrorSerializer, description="`order_not_cancellable`: review has started"
            ),
        },
    )
    def post(self, request: Request, order_id: int) -> Response:
        order = cancel_order(customer=self.customer, order_id=order_id)
        return Response(OrderOutput(order, context={"language": self.customer.language}).data)
