"""A local stand-in of the Stripe API for tests: a threaded HTTP server on 127.0.0.1.

It answers the calls billing.stripe_processor makes (customers, setup Checkout sessions and
their hosted page, payment methods, PaymentIntents, refunds), honours Idempotency-Key as
Stripe does, records every call, and can decline, require authentication or answer too late.
Cards are Stripe's published test numbers.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# Stripe's test card numbers -> (brand, what happens when it is charged).
CARDS: dict[str, tuple[str, str]] = {
    "4242424242424242": ("visa", "succeeded"),
    "5555555555554444": ("mastercard", "succeeded"),
    "3566002020360505": ("jcb", "succeeded"),
    "4000000000009995": ("visa", "insufficient_funds"),
    "4000000000000002": ("visa", "card_declined"),
    "4000002760003184": ("visa", "authentication_required"),
}


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str | None


@dataclass
class StripeStandIn:
    """The stand-in's state; `mode` ("", "decline", "authentication_required", "timeout")
    changes how the next PaymentIntents are answered."""

    mode: str = ""
    # How long a "timeout" answer waits (longer than the adapter's timeout).
    delay_seconds: float = 2.0
    calls: list[Call] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    answered: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    release: threading.Event = field(default_factory=threading.Event)
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    base_url: str = ""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_standin{next(self.counter):06d}"

    def of_type(self, object_type: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects.values() if obj.get("object") == object_type]

    def calls_to(self, method: str, path_prefix: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(path_prefix)]

    # What Stripe.js or a mobile SDK does in the customer's browser: card -> PaymentMethod.
    def create_payment_method(self, number: str) -> str:
        with self.lock:
            brand, _outcome = CARDS[number]
            method_id = self.new_id("pm")
            self.objects[method_id] = {
                "id": method_id,
                "object": "payment_method",
                "type": "card",
                "customer": None,
                "card": {
                    "brand": brand,
                    "last4": number[-4:],
                    "exp_month": 12,
                    "exp_year": 2030,
                },
                "_number": number,
            }
            return method_id

    def public(self, obj: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in obj.items() if not key.startswith("_")}

    def complete_checkout(self, session_id: str, number: str) -> str:
        """The customer typed a card on the hosted page: where Stripe sends the browser."""
        method_id = self.create_payment_method(number)
        with self.lock:
            session = self.objects[session_id]
            setup_intent = {
                "id": self.new_id("seti"),
                "object": "setup_intent",
                "status": "succeeded",
                "payment_method": method_id,
            }
            self.objects[setup_intent["id"]] = setup_intent
            session["status"] = "complete"
            session["setup_intent"] = setup_intent["id"]
            return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)


def _error(status: int, error_type: str, code: str, message: str, **more: Any) -> tuple[int, Any]:
    return status, {"error": {"type": error_type, "code": code, "message": message, **more}}


def _missing(object_id: str) -> tuple[int, Any]:
    return _error(404, "invalid_request_error", "resource_missing", f"No such object: {object_id}")


def _answer(state: StripeStandIn, method: str, path: str, params: dict[str, str]) -> Any:
    parts = path.strip("/").split("/")[1:]  # without "v1"
    objects = state.objects
    if method == "POST" and parts == ["customers"]:
        customer: dict[str, Any] = {"id": state.new_id("cus"), "object": "customer", "metadata": {}}
        objects[customer["id"]] = customer
        return 200, customer
    if parts[:2] == ["checkout", "sessions"]:
        if method == "POST" and len(parts) == 2:
            session_id = state.new_id("cs")
            created: dict[str, Any] = {
                "id": session_id,
                "object": "checkout.session",
                "mode": params.get("mode"),
                "status": "open",
                "url": f"{state.base_url}/checkout/{session_id}",
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "setup_intent": None,
            }
            objects[session_id] = created
            return 200, created
        session = objects.get(parts[2])
        if session is None:
            return _missing(parts[2])
        answer = dict(session)
        if params.get("expand[0]") == "setup_intent" and session["setup_intent"]:
            answer["setup_intent"] = objects[session["setup_intent"]]
        return 200, answer
    if parts[0] == "payment_methods" and len(parts) >= 2:
        found = objects.get(parts[1])
        if found is None or found.get("object") != "payment_method":
            return _missing(parts[1])
        if method == "POST" and parts[2:] == ["attach"]:
            if found["customer"] not in (None, params.get("customer")):
                return _error(
                    400, "invalid_request_error", "payment_method_unexpected_state", "attached"
                )
            found["customer"] = params.get("customer")
        elif method == "POST" and parts[2:] == ["detach"]:
            if found["customer"] is None:
                return _error(
                    400, "invalid_request_error", "payment_method_unexpected_state", "detached"
                )
            found["customer"] = None
        return 200, state.public(found)
    if parts[0] == "payment_intents":
        if method == "GET" and len(parts) == 2:
            intent = objects.get(parts[1])
            return (200, intent) if intent else _missing(parts[1])
        if method == "POST" and len(parts) == 1:
            return _create_payment_intent(state, params)
    if method == "POST" and parts == ["refunds"]:
        intent = objects.get(params.get("payment_intent", ""))
        if intent is None:
            return _missing(params.get("payment_intent", ""))
        refunded = sum(
            r["amount"] for r in state.of_type("refund") if r["payment_intent"] == intent["id"]
        )
        amount = int(params.get("amount", intent["amount"]))
        if refunded + amount > intent["amount"]:
            return _error(400, "invalid_request_error", "amount_too_large", "too much")
        refund = {
            "id": state.new_id("re"),
            "object": "refund",
            "amount": amount,
            "payment_intent": intent["id"],
            "status": "succeeded",
        }
        objects[refund["id"]] = refund
        return 200, refund
    return _error(404, "invalid_request_error", "unknown_path", f"Unknown {method} {path}")


def _create_payment_intent(state: StripeStandIn, params: dict[str, str]) -> tuple[int, Any]:
    method = state.objects.get(params.get("payment_method", ""))
    if method is None:
        return _missing(params.get("payment_method", ""))
    outcome = CARDS[method["_number"]][1]
    if state.mode == "decline":
        outcome = "card_declined"
    elif state.mode == "authentication_required":
        outcome = "authentication_required"
    intent: dict[str, Any] = {
        "id": state.new_id("pi"),
        "object": "payment_intent",
        "amount": int(params["amount"]),
        "currency": params["currency"],
        "customer": params.get("customer"),
        "payment_method": method["id"],
        "status": "succeeded",
        "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
    }
    state.objects[intent["id"]] = intent
    if outcome == "authentication_required" and params.get("off_session") != "true":
        intent["status"] = "requires_action"
        return 200, intent
    if outcome != "succeeded":
        intent["status"] = "requires_payment_method"
        code = (
            "authentication_required" if outcome == "authentication_required" else "card_declined"
        )
        decline = outcome if outcome != "authentication_required" else "authentication_required"
        return _error(
            402,
            "card_error",
            code,
            "Your card was declined.",
            decline_code=decline,
            payment_intent=intent,
        )
    return 200, intent


CHECKOUT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Stripe Checkout (stand-in)</title></head>
<body><h1>Save a card</h1><form method="post"><label>Card number
<input name="number" autocomplete="cc-number"></label><button>Save card</button></form>
<a href="{cancel}">Cancel</a></body></html>"""


def _handler(state: StripeStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _params(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            query = urlsplit(self.path).query
            return dict(parse_qsl(query)) | dict(parse_qsl(body))

        def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            # The adapter stops listening after its timeout; a late answer has nobody to go to.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def _api(self, method: str) -> None:
            path = urlsplit(self.path).path
            params = self._params()
            key = self.headers.get("Idempotency-Key")
            with state.lock:
                state.calls.append(Call(method, path, params, key))
                if key and (path, key) in state.answered:
                    status, answer = state.answered[(path, key)]
                else:
                    status, answer = _answer(state, method, path, params)
                    if key and method == "POST":
                        state.answered[(path, key)] = (status, answer)
                late = state.mode == "timeout" and path.startswith("/v1/payment_intents")
            if late:
                # The work is done and remembered under its key; only the answer is lost.
                state.release.wait(state.delay_seconds)
            payload = answer if status != 200 else state.public(answer)
            self._send(status, json.dumps(payload).encode(), "application/json")

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith("/checkout/"):
                session = state.objects.get(path.rsplit("/", 1)[1])
                if session is None:
                    self._send(404, b"no such session", "text/plain")
                    return
                page = CHECKOUT_PAGE.format(cancel=html.escape(str(session["cancel_url"])))
                self._send(200, page.encode(), "text/html; charset=utf-8")
                return
            self._api("GET")

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith("/checkout/"):
                number = self._params().get("number", "").replace(" ", "")
                target = state.complete_checkout(path.rsplit("/", 1)[1], number)
                self._send(303, b"", "text/plain", Location=target)
                return
            self._api("POST")

        def do_DELETE(self) -> None:
            self._api("DELETE")

    return Handler


class RunningStandIn:
    """Start with `with RunningStandIn() as standin:`; `standin.base_url` is its address."""

    def __init__(self) -> None:
        self.state = StripeStandIn()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.state.base_url = f"http://{host!s}:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StripeStandIn:
        self.thread.start()
        return self.state

    def __exit__(self, *exc: object) -> None:
        self.state.release.set()
        self.server.shutdown()
        self.server.server_close()


def signed_event(
    event_type: str, obj: dict[str, Any], *, secret: str, event_id: str
) -> tuple[bytes, str]:
    """An event as Stripe sends it: the JSON body and its `Stripe-Signature` header."""
    import stripe

    body = json.dumps(
        {"id": event_id, "object": "event", "type": event_type, "data": {"object": obj}}
    )
    return body.encode(), stripe.WebhookSignature.generate_signature_header(body, secret)
