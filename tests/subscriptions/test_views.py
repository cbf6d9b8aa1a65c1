from __future__ import annotations

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.templatetags.addresses import postal_codes
from notifications.models import Notification
from subscriptions.models import CancellationRequest
from tests.factories import (
    CancellationRequestFactory,
    InternetSubscriptionFactory,
    OrderFactory,
    SubscriptionFactory,
)
from tests.subscriptions.conftest import tokyo

pytestmark = pytest.mark.django_db

NOV_20 = tokyo(2026, 11, 20)
CHOICE = {"effective_on": "2026-11-30", "reason": "moving", "comments": "Moving to Osaka"}


def _cancel_url(subscription) -> str:
    return f"/account/services/{subscription.pk}/cancel"


# --- The list -----------------------------------------------------------------------------


def test_the_list_shows_the_customers_services(browser_client, sim, internet):
    response = browser_client.get("/account/services")
    assert response.status_code == 200
    content = response.content.decode()
    assert "SIM Data 20GB" in content
    assert "080-1234-5678" in content
    assert "Hikari Fiber 1 Gbps" in content
    assert postal_codes(internet.installation_address) in content
    assert f'href="/account/services/{sim.pk}"' in content


def test_the_list_shows_a_scheduled_last_day(browser_client, sim):
    CancellationRequestFactory(subscription=sim, effective_on="2026-12-31")
    sim.status = "cancellation_scheduled"
    sim.save()
    content = browser_client.get("/account/services").content.decode()
    assert "Cancellation scheduled" in content
    assert "Last day: Dec. 31, 2026" in content


def test_a_customer_without_services_is_invited_to_order(browser_client):
    content = browser_client.get("/account/services").content.decode()
    assert "You have no internet or SIM services yet." in content
    assert 'href="/account/orders/new"' in content


def test_the_list_leaves_out_other_customers_services(client, other_customer, sim):
    client.force_login(other_customer.user)
    content = client.get("/account/services").content.decode()
    assert "080-1234-5678" not in content
    assert f"/account/services/{sim.pk}" not in content


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/account/services")
    assert response.status_code == 200
    return len(captured)


def test_the_list_page_costs_the_same_queries_for_one_service_or_fifty(browser_client, customer):
    SubscriptionFactory(customer=customer)
    light = _page_queries(browser_client)
    for index in range(49):
        factory = InternetSubscriptionFactory if index % 2 else SubscriptionFactory
        subscription = factory(customer=customer)
        if index % 3 == 0:
            CancellationRequestFactory(subscription=subscription)
    assert _page_queries(browser_client) == light


# --- One service --------------------------------------------------------------------------


def test_a_sim_page_shows_plan_status_identifiers_and_order(browser_client, sim):
    order = OrderFactory(customer=sim.customer, plan=sim.plan, status="activated", subscription=sim)
    content = browser_client.get(f"/account/services/{sim.pk}").content.decode()
    assert "SIM Data 20GB" in content
    assert "Active" in content
    assert "080-1234-5678" in content
    assert "8981100000000000123" in content
    assert f'<a href="/account/orders/{order.pk}">{order.number}</a>' in content
    assert "¥2,178 (tax included)" in content
    assert f'href="/account/services/{sim.pk}/cancel"' in content


def test_an_internet_page_shows_the_line_and_address(browser_client, internet):
    content = browser_client.get(f"/account/services/{internet.pk}").content.decode()
    assert internet.line_id in content
    assert postal_codes(internet.installation_address) in content
    assert "There is no online order for this service." in content


def test_a_scheduled_cancellation_is_shown_and_the_cancel_link_is_gone(browser_client, sim):
    CancellationRequestFactory(subscription=sim, effective_on="2026-11-30", reason="moving")
    sim.status = "cancellation_scheduled"
    sim.save()
    content = browser_client.get(f"/account/services/{sim.pk}").content.decode()
    assert "Your last day of service is <strong>Nov. 30, 2026</strong>" in content
    assert "I am moving house" in content
    assert f"/account/services/{sim.pk}/cancel" not in content


def test_an_ended_service_says_when_it_ended(browser_client, sim):
    CancellationRequestFactory(subscription=sim, effective_on="2026-10-31", status="completed")
    sim.status = "cancelled"
    sim.save()
    content = browser_client.get(f"/account/services/{sim.pk}").content.decode()
    assert "Its last day was Oct. 31, 2026." in content
    assert f"/account/services/{sim.pk}/cancel" not in content


# --- Cancelling ---------------------------------------------------------------------------


def test_the_cancel_page_offers_the_dates_and_reasons(browser_client, sim):
    with time_machine.travel(NOV_20, tick=False):
        content = browser_client.get(_cancel_url(sim)).content.decode()
    for offered in ("2026-11-30", "2026-12-31", "2027-01-31"):
        assert f'value="{offered}"' in content
    assert 'value="2027-02-28"' not in content
    assert "I am moving house" in content
    assert "csrfmiddlewaretoken" in content


def test_the_review_step_shows_what_will_happen_to_a_sim(browser_client, sim):
    with time_machine.travel(NOV_20, tick=False):
        response = browser_client.post(_cancel_url(sim), {"step": "review", **CHOICE})
    content = response.content.decode()
    assert "Review your cancellation" in content
    assert "<strong>Nov. 30, 2026</strong>" in content
    assert "Your SIM works as usual until the end of Nov. 30, 2026" in content
    assert "From Dec. 1, 2026 the SIM stops working" in content
    assert "080-1234-5678" in content
    assert "Moving to Osaka" in content
    assert 'name="confirm"' in content
    assert not CancellationRequest.objects.exists()


@pytest.mark.parametrize(
    ("language", "withdraw"),
    [
        ("en", "you can withdraw the cancellation on the service's page until the end of Nov. 30"),
        ("ja", "2026年11月30日 の終わりまで、サービスのページから解約を取り消していただけます"),
    ],
)
def test_the_review_says_the_customer_can_withdraw_it_on_the_page(
    browser_client, customer, sim, language, withdraw
):
    customer.language = language
    customer.save()
    with time_machine.travel(NOV_20, tick=False):
        response = browser_client.post(_cancel_url(sim), {"step": "review", **CHOICE})
    content = response.content.decode().replace("&#x27;", "'")
    assert withdraw in content
    consequences = content.split('<ul class="consequences">')[1].split("</ul>")[0]
    assert "support" not in consequences and "サポート" not in consequences


def test_the_scheduled_cancellation_can_be_withdrawn_until_the_end_of_the_last_day(
    browser_client, sim
):
    CancellationRequestFactory(subscription=sim, effective_on="2026-11-30", reason="moving")
    sim.status = "cancellation_scheduled"
    sim.save()
    content = browser_client.get(f"/account/services/{sim.pk}").content.decode()
    assert "You can withdraw the cancellation until the end of Nov. 30, 2026" in content
    assert "Withdraw cancellation" in content


def test_a_voice_sims_review_speaks_of_its_number_and_of_mnp(browser_client, sim):
    with time_machine.travel(NOV_20, tick=False):
        response = browser_client.post(_cancel_url(sim), {"step": "review", **CHOICE})
    content = response.content.decode()
    assert "the phone number 080-1234-5678 is released" in content
    assert "MNP" in content


def test_a_data_only_sims_cancel_pages_never_talk_about_a_phone_number(browser_client, sim):
    sim.iccid = "8981100000000000202"
    sim.save(update_fields=["iccid"])
    sim.plan.data_only = True
    sim.plan.save(update_fields=["data_only"])
    with time_machine.travel(NOV_20, tick=False):
        choose = browser_client.get(_cancel_url(sim)).content.decode()
        review = browser_client.post(_cancel_url(sim), {"step": "review", **CHOICE})
    content = review.content.decode()
    assert "From Dec. 1, 2026 the SIM stops working and its data plan ends." in content
    for page in (choose, content):
        assert "Data SIM card ending in 0202" in page
        assert "080-1234-5678" not in page
        assert "phone number" not in page.lower() and "MNP" not in page
    detail = browser_client.get(f"/account/services/{sim.pk}").content.decode()
    assert "Phone number" not in detail and "080-1234-5678" not in detail


def test_the_review_step_shows_what_will_happen_to_an_internet_line(browser_client, internet):
    with time_machine.travel(NOV_20, tick=False):
        response = browser_client.post(_cancel_url(internet), {"step": "review", **CHOICE})
    content = response.content.decode()
    assert f"From Dec. 1, 2026 the line {internet.line_id}" in content
    assert "is disconnected" in content


def test_an_invalid_choice_stays_on_the_first_step(browser_client, sim):
    with time_machine.travel(NOV_20, tick=False):
        response = browser_client.post(
            _cancel_url(sim), {"step": "review", "effective_on": "2026-11-29", "reason": ""}
        )
    content = response.content.decode()
    assert "Please check the highlighted fields." in content
    assert "field--invalid" in content
    assert not CancellationRequest.objects.exists()


def test_confirming_without_ticking_the_box_cancels_nothing(browser_client, sim):
    with time_machine.travel(NOV_20, tick=False):
        response = browser_client.post(_cancel_url(sim), {"step": "confirm", **CHOICE})
    assert "Tick the box to confirm the cancellation." in response.content.decode()
    assert not CancellationRequest.objects.exists()


def test_changing_the_choices_goes_back_with_them_filled_in(browser_client, sim):
    with time_machine.travel(NOV_20, tick=False):
        response = browser_client.post(_cancel_url(sim), {"step": "edit", **CHOICE})
    content = response.content.decode()
    assert re.search(r'value="2026-11-30"[^>]* checked', content)
    assert re.search(r'value="moving"[^>]* checked', content)
    assert "Moving to Osaka" in content
    assert "field--invalid" not in content


def test_confirming_schedules_the_cancellation(
    browser_client, sim, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(NOV_20, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = browser_client.post(
            _cancel_url(sim), {"step": "confirm", "confirm": "on", **CHOICE}
        )
    assert response.status_code == 302
    assert response["Location"] == f"/account/services/{sim.pk}"
    cancellation = CancellationRequest.objects.get()
    assert cancellation.comments == "Moving to Osaka"
    assert Notification.objects.filter(type="CANCELLATION_SCHEDULED").count() == 1
    page = browser_client.get(response["Location"]).content.decode()
    assert "Your cancellation is scheduled. Your last day of service is Nov. 30, 2026." in page


def test_a_double_submit_creates_one_request(browser_client, sim):
    with time_machine.travel(NOV_20, tick=False):
        first = browser_client.post(
            _cancel_url(sim), {"step": "confirm", "confirm": "on", **CHOICE}
        )
        second = browser_client.post(
            _cancel_url(sim), {"step": "confirm", "confirm": "on", **CHOICE}
        )
    assert first.status_code == second.status_code == 302
    assert CancellationRequest.objects.count() == 1
    page = browser_client.get(second["Location"]).content.decode()
    assert "A cancellation is already scheduled for this service." in page


def test_choices_gone_stale_after_the_25th_send_the_customer_back_to_choose(browser_client, sim):
    with time_machine.travel(tokyo(2026, 11, 26, 0, 1), tick=False):
        response = browser_client.post(
            _cancel_url(sim), {"step": "confirm", "confirm": "on", **CHOICE}
        )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Please check the highlighted fields." in content
    assert 'value="2026-12-31"' in content
    assert not CancellationRequest.objects.exists()


@pytest.mark.parametrize("status", ["cancellation_scheduled", "cancelled", "suspended"])
def test_the_cancel_page_sends_a_service_that_cannot_be_cancelled_back(browser_client, sim, status):
    sim.status = status
    sim.save()
    response = browser_client.get(_cancel_url(sim))
    assert response.status_code == 302
    assert response["Location"] == f"/account/services/{sim.pk}"


# --- Ownership and login ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/account/services/{id}", "/account/services/{id}/cancel"])
def test_other_customers_service_pages_are_404(client, other_customer, sim, path):
    client.force_login(other_customer.user)
    assert client.get(path.format(id=sim.pk)).status_code == 404


def test_other_customers_cannot_cancel_by_posting(client, other_customer, sim):
    client.force_login(other_customer.user)
    with time_machine.travel(NOV_20, tick=False):
        response = client.post(_cancel_url(sim), {"step": "confirm", "confirm": "on", **CHOICE})
    assert response.status_code == 404
    assert not CancellationRequest.objects.exists()


@pytest.mark.parametrize(
    "path", ["/account/services", "/account/services/{id}", "/account/services/{id}/cancel"]
)
def test_service_pages_send_anonymous_visitors_to_login(client, sim, path):
    url = path.format(id=sim.pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login?next={url}"


def test_staff_without_a_customer_get_a_404(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/account/services").status_code == 404
