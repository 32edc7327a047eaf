"""The console's activity pages: runs, hooks, dead letters with replay, quarantine, events and orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub.admin import create_hub
from hub.hooks.delivery import deliver
from hub.hooks.kind import HOOK_DELIVERIES
from hub.models import Delivery, HookDelivery, Purchase, QuarantinedRecord, utcnow
from hub.runtime import get_runtime
from tests.conftest import build_tenant
from tests.console.conftest import post_form
from tests.scripted_pos import add_scripted, poll, registered
from tests.test_hooks_delivery import Receiver
from tests.test_triggers_poll import record, sale

MAX_ATTEMPTS = HOOK_DELIVERIES.backoff.max_attempts
REFUSED = "permanent [401]: the POS rejected the hub's credentials"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def hub_url(tenant, path: str = "") -> str:
    return f"/console/hubs/{tenant.hub_id}{path}"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def dead_hook_delivery(client, tenant, receiver) -> tuple[str, str]:
    """A hook subscribed to a broken receiver and a sale whose delivery ran out of retries."""
    receiver.answers = [(500, {})] * MAX_ATTEMPTS
    hook = client.post("/v1/hooks", json={"trigger": "new_purchase", "target_url": receiver.url},
                       headers=tenant.auth()).get_json()
    record(tenant, sale("T-1"))
    get_runtime().queue.drain()
    with get_runtime().db.session() as s:
        delivery_id = s.scalar(select(HookDelivery.id).where(HookDelivery.subscription_id == hook["id"]))
    when = utcnow()
    while len(receiver.mine()) < MAX_ATTEMPTS:
        when += timedelta(hours=15)
        deliver(delivery_id, now=when)
    return hook["id"], delivery_id


def delivery_status(delivery_id: str) -> str:
    with get_runtime().db.session() as s:
        return s.get(HookDelivery, delivery_id).status


def dead_action_run(client, tenant) -> str:
    """An update_menu run whose delivery is dead."""
    answer = client.post("/v1/actions/update_menu", headers=tenant.auth(), json={"items": [
        {"sku": "SAL-1", "name": "Salad", "price": {"amount": "6.50", "currency": "EUR"}}]})
    assert answer.status_code == 202, answer.get_json()
    run_id = answer.get_json()["id"]
    get_runtime().queue.drain()
    with get_runtime().db.session() as s:
        s.execute(update(Delivery).where(Delivery.action_run_id == run_id)
                  .values(status="dead", last_error=REFUSED))
    return run_id


# ---------- sign-in and tenancy ----------

@pytest.mark.parametrize("path", ["/runs", "/hooks", "/dead-letters", "/quarantine", "/events", "/orders",
                                  "/first-steps"])
def test_every_activity_page_needs_sign_in(client, tenant, path):
    response = client.get(hub_url(tenant, path))
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_another_hubs_ids_are_not_found(admin_key_client, client, tenant, other_tenant, receiver):
    hook_id, delivery_id = dead_hook_delivery(client, other_tenant, receiver)
    run_id = dead_action_run(client, other_tenant)
    mine = hub_url(tenant)
    for path in (f"/hooks/{hook_id}", f"/runs/{run_id}", f"/dead-letters/replay?kind=hook&id={delivery_id}"):
        assert admin_key_client.get(mine + path).status_code == 404, path
        assert admin_key_client.get(hub_url(other_tenant, path)).status_code == 404, path
    replayed = post_form(admin_key_client, f"{mine}/dead-letters/replay", {"kind": "hook", "id": delivery_id},
                         token_from=f"{mine}/dead-letters")
    assert replayed.status_code == 303
    assert delivery_status(delivery_id) == "dead"  # another hub's letter is not this hub's to replay
    retried = post_form(admin_key_client, f"{mine}/runs/{run_id}/retry", token_from=f"{mine}/runs")
    assert retried.status_code == 404


# ---------- empty states ----------

@pytest.mark.parametrize("path, advice", [
    ("/runs", "No action has run in this hub yet"),
    ("/hooks", "No hook subscriptions yet"),
    ("/dead-letters", "Nothing has failed for good"),
    ("/quarantine", "No open records"),
    ("/events", "Nothing has happened in this hub yet"),
    ("/orders", "No orders yet"),
])
def test_empty_pages_say_what_to_do(operator_client, path, advice):
    with get_runtime().db.session() as s:
        hub_id = create_hub(s, "Empty hub").id
    assert advice in page(operator_client, f"/console/hubs/{hub_id}{path}")


# ---------- action runs ----------

def test_a_run_shows_each_connections_delivery_and_retries_the_dead_ones(operator_client, client, tenant):
    run_id = dead_action_run(client, tenant)
    listed = page(operator_client, hub_url(tenant, "/runs"))
    assert run_id in listed and "update_menu" in listed
    shown = page(operator_client, hub_url(tenant, f"/runs/{run_id}"))
    assert "Test hub POS" in shown and "the POS rejected the hub&#39;s credentials" in shown
    assert "Retry dead deliveries" in shown
    retried = post_form(operator_client, hub_url(tenant, f"/runs/{run_id}/retry"),
                        token_from=hub_url(tenant, f"/runs/{run_id}"))
    assert retried.status_code == 303
    with get_runtime().db.session() as s:
        statuses = set(s.scalars(select(Delivery.status).where(Delivery.action_run_id == run_id)))
    assert statuses and "dead" not in statuses


# ---------- hooks and dead letters ----------

def test_a_hook_page_shows_its_target_and_deliveries_with_the_status_code(operator_client, client, tenant,
                                                                           receiver):
    hook_id, _ = dead_hook_delivery(client, tenant, receiver)
    assert receiver.url in page(operator_client, hub_url(tenant, "/hooks"))
    shown = page(operator_client, hub_url(tenant, f"/hooks/{hook_id}"))
    assert "HTTP 500" in shown and "dead" in shown and "Replay" in shown


def test_dead_letters_of_every_kind_are_listed_with_their_errors(operator_client, client, tenant, receiver):
    dead_hook_delivery(client, tenant, receiver)
    dead_action_run(client, tenant)
    shown = page(operator_client, hub_url(tenant, "/dead-letters"))
    assert "target answered HTTP 500" in shown
    assert "the POS rejected the hub&#39;s credentials" in shown
    assert "Hook deliveries" in shown and "Action deliveries" in shown and "Order deliveries" in shown
    assert "Action callbacks" in shown


def test_replaying_a_dead_letter_asks_first(operator_client, client, tenant, receiver):
    _, delivery_id = dead_hook_delivery(client, tenant, receiver)
    confirm = page(operator_client, hub_url(tenant, f"/dead-letters/replay?kind=hook&id={delivery_id}"))
    assert "Replay now" in confirm and "target answered HTTP 500" in confirm
    assert delivery_status(delivery_id) == "dead"


def test_a_replayed_dead_hook_delivery_is_delivered_once_the_target_is_fixed(operator_client, client, tenant,
                                                                             receiver):
    _, delivery_id = dead_hook_delivery(client, tenant, receiver)
    receiver.answers = []  # fixed: 200 from now on
    url = hub_url(tenant, "/dead-letters/replay")
    replayed = post_form(operator_client, url, {"kind": "hook", "id": delivery_id},
                         token_from=f"{url}?kind=hook&id={delivery_id}")
    assert replayed.status_code == 303
    # The replayed delivery's job runs on the in-process pool: wait for it to finish (its status is
    # pending or in progress meanwhile), then check the outcome.
    get_runtime().queue.drain()
    assert len(receiver.mine()) == MAX_ATTEMPTS + 1  # sent exactly once more
    with get_runtime().db.session() as s:
        delivered = s.get(HookDelivery, delivery_id)
        assert (delivered.status, delivered.attempts) == ("succeeded", 1)  # fresh retries, first one worked
    assert "target answered HTTP 500" not in page(operator_client, hub_url(tenant, "/dead-letters"))


def test_a_dead_hook_delivery_is_replayed_from_its_hooks_page(operator_client, client, tenant, receiver):
    hook_id, delivery_id = dead_hook_delivery(client, tenant, receiver)
    receiver.answers = []
    url = hub_url(tenant, f"/hooks/{hook_id}")
    replayed = post_form(operator_client, f"{url}/deliveries/{delivery_id}/replay", token_from=url)
    assert replayed.status_code == 303
    receiver.wait_for(MAX_ATTEMPTS + 1, timeout=5)
    get_runtime().queue.drain()
    assert delivery_status(delivery_id) == "succeeded"


def test_replay_all_revives_every_dead_letter_of_the_kind(operator_client, client, tenant):
    run_ids = [dead_action_run(client, tenant), dead_action_run(client, tenant)]
    url = hub_url(tenant, "/dead-letters/replay")
    assert "Replay all 2" in page(operator_client, f"{url}?kind=action")
    replayed = post_form(operator_client, url, {"kind": "action"}, token_from=f"{url}?kind=action")
    assert replayed.status_code == 303
    with get_runtime().db.session() as s:
        statuses = set(s.scalars(select(Delivery.status).where(Delivery.action_run_id.in_(run_ids))))
    assert "dead" not in statuses


def test_a_replay_without_the_csrf_token_is_refused(operator_client, client, tenant, receiver):
    _, delivery_id = dead_hook_delivery(client, tenant, receiver)
    response = operator_client.post(hub_url(tenant, "/dead-letters/replay"), data={"kind": "hook",
                                                                                    "id": delivery_id})
    assert response.status_code == 400
    assert delivery_status(delivery_id) == "dead"


# ---------- quarantine ----------

@pytest.fixture
def scripted(app):
    """A hub whose scripted POS sent the unreadable ORD-BAD, now quarantined."""
    with registered():
        rt = get_runtime()
        tenant = build_tenant(rt, locations=())
        connection_id = add_scripted(rt, tenant.hub_id, answer="unreadable")
        poll(rt, connection_id)
        with rt.db.session() as s:
            record_id = s.scalar(select(QuarantinedRecord.id)
                                 .where(QuarantinedRecord.hub_id == tenant.hub_id))
        yield tenant, connection_id, record_id


def record_status(record_id: str) -> str:
    with get_runtime().db.session() as s:
        return s.get(QuarantinedRecord, record_id).status


def test_a_quarantined_record_shows_its_reason_and_its_raw_data_pretty_printed(operator_client, scripted):
    tenant, _, record_id = scripted
    assert "ORD-BAD" in page(operator_client, hub_url(tenant, "/quarantine"))
    shown = page(operator_client, hub_url(tenant, f"/quarantine/{record_id}"))
    with get_runtime().db.session() as s:
        row = s.get(QuarantinedRecord, record_id)
    assert row.reason.replace("'", "&#39;") in shown
    assert '<pre class="mono raw">{\n  ' in shown  # laid out over lines, indented


def test_a_replay_after_the_fix_records_the_purchase(operator_client, client, scripted):
    tenant, connection_id, record_id = scripted
    fixed = client.patch(f"/v1/admin/connections/{connection_id}",
                         json={"config": {"answer": "ok", "fixed": True}}, headers=tenant.auth("admin"))
    assert fixed.status_code == 200
    url = hub_url(tenant, f"/quarantine/{record_id}")
    replayed = post_form(operator_client, f"{url}/replay", token_from=url)
    assert replayed.status_code == 303
    assert "recorded as a new purchase" in page(operator_client, url)
    assert record_status(record_id) == "replayed"
    with get_runtime().db.session() as s:
        assert s.scalar(select(Purchase.id).where(Purchase.connection_id == connection_id,
                                                  Purchase.external_id == "ORD-BAD"))


def test_a_replay_that_still_fails_says_so_and_keeps_the_record_open(operator_client, scripted):
    tenant, _, record_id = scripted
    url = hub_url(tenant, f"/quarantine/{record_id}")
    post_form(operator_client, f"{url}/replay", token_from=url)
    assert "Still unreadable" in page(operator_client, url)
    assert record_status(record_id) == "open"


def test_dismissing_asks_first_then_the_record_leaves_the_open_list(operator_client, scripted):
    tenant, _, record_id = scripted
    url = hub_url(tenant, f"/quarantine/{record_id}")
    assert "Dismiss for good" not in page(operator_client, url)
    confirm = page(operator_client, f"{url}?confirm=dismiss")
    assert "Dismiss for good" in confirm and "No purchase will be recorded" in confirm
    assert record_status(record_id) == "open"
    dismissed = post_form(operator_client, f"{url}/dismiss", token_from=f"{url}?confirm=dismiss")
    assert dismissed.status_code == 303
    assert record_status(record_id) == "dismissed"
    assert "ORD-BAD" not in page(operator_client, hub_url(tenant, "/quarantine"))


def test_another_hubs_quarantined_record_is_not_found(admin_key_client, tenant, scripted):
    other, _, record_id = scripted
    assert admin_key_client.get(hub_url(tenant, f"/quarantine/{record_id}")).status_code == 404
    assert admin_key_client.get(hub_url(other, f"/quarantine/{record_id}")).status_code == 404
    url = hub_url(tenant, f"/quarantine/{record_id}/dismiss")
    assert post_form(admin_key_client, url, token_from=hub_url(tenant, "/quarantine")).status_code == 404
    assert record_status(record_id) == "open"


# ---------- events and orders ----------

def test_events_are_listed_newest_first_filtered_by_type_with_their_data_expandable(operator_client, tenant):
    record(tenant, sale("T-1"), sale("T-2"))
    shown = page(operator_client, hub_url(tenant, "/events?type=new_purchase"))
    assert shown.index("T-2") < shown.index("T-1")
    assert "<details><summary>Show data</summary>" in shown
    assert "No low_stock events" in page(operator_client, hub_url(tenant, "/events?type=low_stock"))


def test_an_order_shows_its_status_history_and_delivery(operator_client, client, tenant):
    dead_action_run(client, tenant)  # puts SAL-1 on the menu
    answer = client.post("/v1/actions/create_order", headers=tenant.auth(), json={
        "channel_order_id": "WEB-1042", "location_id": tenant.location_ids[0],
        "lines": [{"sku": "SAL-1", "quantity": 1}], "payment": {"type": "pay_at_pos"}})
    assert answer.status_code < 300, answer.get_json()
    order_id = answer.get_json()["id"]
    assert "WEB-1042" in page(operator_client, hub_url(tenant, "/orders"))
    shown = page(operator_client, hub_url(tenant, f"/orders/{order_id}"))
    assert "Status history" in shown and "received" in shown
