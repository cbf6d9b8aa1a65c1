"""Adding a card through the processor's own card form: the portal only ever sees a token."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from billing.models import PaymentMethod
from billing.views import CARD_FORM_STATE

pytestmark = pytest.mark.django_db

ADD = "/account/billing/payment-methods/add"
CARD = {"number": "4242 4242 4242 4242", "expiry": "08/30", "security_code": "123"}


def _open_card_form(client) -> tuple[str, dict[str, str]]:
    """The portal's add link: a redirect to the processor's form with a return URL and state."""
    response = client.get(ADD)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/test-processor/cards"
    params = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert params["return_to"] == f"http://testserver{ADD}"
    assert params["state"] == client.session[CARD_FORM_STATE]
    return response["Location"], params


def test_the_payment_methods_page_links_to_the_processor_and_has_no_token_field(browser_client):
    html = browser_client.get("/account/billing/payment-methods").content.decode()
    assert f'href="{ADD}"' in html
    assert 'name="token"' not in html and "tok_visa" not in html


def test_a_card_typed_on_the_processors_form_comes_back_as_a_token(browser_client, customer):
    form_url, params = _open_card_form(browser_client)
    page = browser_client.get(form_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'autocomplete="cc-number"' in html and "4242424242424242" in html

    answer = browser_client.post("/test-processor/cards", {**CARD, **params})
    assert answer.status_code == 302
    back = urlsplit(answer["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == params["return_to"]
    assert parse_qs(back.query) == {"token": ["tok_visa_exp0830"], "state": [params["state"]]}
    assert "4242" not in answer["Location"]

    added = browser_client.get(answer["Location"], follow=True)
    assert added.redirect_chain[-1] == ("/account/billing/payment-methods", 302)
    assert "Visa •••• 4242 is added" in added.content.decode()
    (method,) = PaymentMethod.objects.filter(customer=customer)
    assert method.last4 == "4242" and method.is_default
    assert (method.exp_month, method.exp_year) == (8, 2030)


def test_an_unknown_card_number_is_refused_on_the_processors_form(browser_client):
    _, params = _open_card_form(browser_client)
    response = browser_client.post(
        "/test-processor/cards", {**CARD, **params, "number": "4111 1111 1111 1111"}
    )
    assert response.status_code == 200
    assert "only knows the test cards" in response.content.decode()


def test_a_bad_expiry_is_explained(browser_client):
    _, params = _open_card_form(browser_client)
    response = browser_client.post("/test-processor/cards", {**CARD, **params, "expiry": "13/30"})
    assert "Enter the expiry date as MM/YY" in response.content.decode()


def _full_width(text: str) -> str:
    """As a Japanese input method types it: full-width digits and slash, ー for the hyphen."""
    return "".join(
        chr(ord(c) + 0xFEE0) if c.isdigit() or c == "/" else "\u30fc" if c == "-" else c
        for c in text
    )


def test_a_card_typed_in_full_width_is_the_same_card(browser_client):
    _, params = _open_card_form(browser_client)
    typed = {
        "number": _full_width("4242-4242-4242-4242"),
        "expiry": _full_width("08/30"),
        "security_code": _full_width("123"),
    }
    answer = browser_client.post("/test-processor/cards", {**typed, **params})
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer["Location"]).query)["token"] == ["tok_visa_exp0830"]


def test_every_mistake_on_the_card_form_is_shown_at_once(browser_client):
    _, params = _open_card_form(browser_client)
    response = browser_client.post(
        "/test-processor/cards",
        {**params, "number": "4111 1111 1111 1111", "expiry": "13/30", "security_code": "12"},
    )
    assert set(response.context["form"].errors) == {"number", "expiry", "security_code"}


def test_a_token_without_this_sessions_state_adds_nothing(browser_client, customer):
    _open_card_form(browser_client)
    response = browser_client.get(f"{ADD}?token=tok_visa&state=forged", follow=True)
    assert "was not opened from this page" in response.content.decode()
    response = browser_client.get(f"{ADD}?token=tok_visa", follow=True)
    assert "was not opened from this page" in response.content.decode()
    assert not PaymentMethod.objects.exists()


def test_cancelling_on_the_processors_form_adds_nothing(browser_client):
    _, params = _open_card_form(browser_client)
    response = browser_client.get(f"{ADD}?cancelled=1&state={params['state']}", follow=True)
    assert "No card was added." in response.content.decode()
    assert not PaymentMethod.objects.exists()


def test_a_declined_card_comes_back_with_the_processors_reason(browser_client):
    _, params = _open_card_form(browser_client)
    answer = browser_client.post(
        "/test-processor/cards", {**CARD, **params, "number": "4000000000000002"}
    )
    response = browser_client.get(answer["Location"], follow=True)
    assert "The card was declined." in response.content.decode()
    assert not PaymentMethod.objects.exists()


def test_the_processor_sends_browsers_back_only_to_this_site(client):
    response = client.get("/test-processor/cards?return_to=https://evil.example/&state=x")
    assert response.status_code == 400


def test_the_processors_form_is_gone_with_another_processor(client, settings):
    settings.PAYMENT_PROCESSOR = "tests.billing.test_hosted_card_form.OtherProcessor"
    assert client.get("/test-processor/cards").status_code == 404


class OtherProcessor:
    test_tokens: dict[str, str] = {}


def _add_through_the_form(client, **card: str):
    _, params = _open_card_form(client)
    answer = client.post("/test-processor/cards", {**CARD, **card, **params})
    if answer.status_code != 302:
        return answer
    return client.get(answer["Location"], follow=True)


def test_the_typed_expiry_is_the_one_saved(browser_client, customer):
    _add_through_the_form(browser_client, expiry="08/29")
    method = PaymentMethod.objects.get(customer=customer)
    assert (method.exp_month, method.exp_year) == (8, 2029)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_an_expiry_in_the_past_is_refused_on_the_processors_form(
    browser_client, customer, language
):
    customer.language = language
    customer.save(update_fields=["language"])
    response = _add_through_the_form(browser_client, expiry="01/20")
    assert response.status_code == 200
    expected = {"en": "This card has expired", "ja": "このカードは有効期限が切れています"}
    assert expected[language] in response.content.decode()
    assert not PaymentMethod.objects.exists()


def test_a_token_with_an_expiry_in_the_past_is_refused_by_the_processor(browser_client, customer):
    _, params = _open_card_form(browser_client)
    response = browser_client.get(
        f"{ADD}?token=tok_visa_exp0120&state={params['state']}", follow=True
    )
    assert "This card has expired" in response.content.decode()
    assert not PaymentMethod.objects.exists()


def test_the_same_card_twice_is_refused_with_a_message(browser_client, customer):
    _add_through_the_form(browser_client, expiry="08/29")
    again = _add_through_the_form(browser_client, expiry="08/29")
    assert "is already one of your payment methods. Nothing was added." in again.content.decode()
    assert PaymentMethod.objects.filter(customer=customer).count() == 1


def test_the_same_number_with_a_new_expiry_is_a_new_card(browser_client, customer):
    _add_through_the_form(browser_client, expiry="08/29")
    _add_through_the_form(browser_client, expiry="09/31")
    expiries = set(PaymentMethod.objects.values_list("exp_month", "exp_year"))
    assert expiries == {(8, 2029), (9, 2031)}
