"""Retention (hub.retention): each kind of row is deleted at its age and not before, in bounded
batches; dead letters stay until replayed or 30 days dead; a poll cursor below what is left is told so.

The test database is shared by the whole run, so these tests age their own rows (created_at in the
past) and look only at those rows."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import delete, select, update

from hub import create_app
from hub.cli import main
from hub.config import Settings
from hub.events import emit
from hub.models import (
    ActionCallback,
    ActionRun,
    ApiKey,
    CallbackEvent,
    Delivery,
    Event,
    HookDelivery,
    HookSubscription,
    IdempotencyRecord,
    utcnow,
)
from hub.retention import Policy, prune
from hub.runtime import get_runtime
from hub.scheduler import registered_sweeps
from tests.conftest import PG_URL, build_tenant, make_settings
from triggers.base import PRUNED_HEADER

NOW_POLICY = Policy(pause_seconds=0, budget_seconds=None)
DAY = timedelta(days=1)
_serial = count()


def aged_event(rt, hub_id: str, age: timedelta) -> int:
    """A low_stock event created `age` ago; its id."""
    with rt.db.session() as s:
        event_id = emit(s, hub_id, "low_stock", {"label": f"e{next(_serial)}"}).id
    with rt.db.session() as s:
        s.execute(update(Event).where(Event.id == event_id).values(created_at=utcnow() - age))
    return event_id


def fresh_event(rt, hub_id: str) -> int:
    """A new event: it is the table's newest, which retention never deletes (SQLite would reuse its id)."""
    return aged_event(rt, hub_id, timedelta(0))


def hook_delivery(rt, hub_id: str, event_id: int, status: str, age: timedelta,
                  dead_for: timedelta | None = None) -> str:
    """A delivery of the event to a fresh subscription, made `age` ago and last changed `dead_for` ago."""
    with rt.db.session() as s:
        # A new_purchase hook, so the low_stock events of these tests fan out to nothing by themselves.
        sub = HookSubscription(hub_id=hub_id, trigger="new_purchase", target_url="http://127.0.0.1:9/h",
                               secret_encrypted="unused")
        s.add(sub)
        s.flush()
        row = HookDelivery(hub_id=hub_id, subscription_id=sub.id, event_id=event_id, status=status,
                           attempts=1, created_at=utcnow() - age,
                           updated_at=utcnow() - (age if dead_for is None else dead_for))
        s.add(row)
        s.flush()
        return row.id


def action_run(rt, tenant, age: timedelta, status: str = "succeeded", dead_for: timedelta | None = None,
               callback: str | None = None) -> str:
    """An action run made `age` ago with one delivery in `status` (and an outcome callback)."""
    with rt.db.session() as s:
        run = ActionRun(hub_id=tenant.hub_id, action="push_menu", input={}, created_at=utcnow() - age)
        s.add(run)
        s.flush()
        s.add(Delivery(hub_id=tenant.hub_id, action_run_id=run.id, connection_id=tenant.connection_id,
                       payload={"skus": []}, status=status, created_at=utcnow() - age,
                       updated_at=utcnow() - (age if dead_for is None else dead_for)))
        if callback:
            s.add(ActionCallback(hub_id=tenant.hub_id, action_run_id=run.id, url="http://127.0.0.1:9/cb",
                                 status=callback, created_at=utcnow() - age, updated_at=utcnow() - age))
        return run.id


def exists(rt, model, **where) -> bool:
    with rt.db.session() as s:
        return s.scalars(select(model).filter_by(**where)).first() is not None


def forget(rt, model, *where) -> None:
    """Delete this test's aged rows, so later tests' own age checks on the shared database see none."""
    with rt.db.session() as s:
        s.execute(delete(model).where(*where))


# --- events and hook deliveries -------------------------------------------------------------------

def test_an_event_older_than_90_days_is_deleted_and_a_younger_one_kept(backend_tenant):
    rt = get_runtime()
    old = aged_event(rt, backend_tenant.hub_id, 91 * DAY)
    young = aged_event(rt, backend_tenant.hub_id, 89 * DAY)
    fresh_event(rt, backend_tenant.hub_id)
    prune(rt.db, NOW_POLICY)
    assert not exists(rt, Event, id=old)
    assert exists(rt, Event, id=young)


def test_the_newest_event_of_the_table_is_kept_however_old(backend_tenant):
    rt = get_runtime()
    newest = aged_event(rt, backend_tenant.hub_id, 200 * DAY)
    prune(rt.db, NOW_POLICY)
    assert exists(rt, Event, id=newest)


def test_the_hook_deliveries_of_a_deleted_event_go_with_it(backend_tenant):
    rt = get_runtime()
    old = aged_event(rt, backend_tenant.hub_id, 91 * DAY)
    delivered = hook_delivery(rt, backend_tenant.hub_id, old, "succeeded", 10 * DAY)
    fresh_event(rt, backend_tenant.hub_id)
    result = prune(rt.db, NOW_POLICY)
    assert not exists(rt, Event, id=old)
    assert not exists(rt, HookDelivery, id=delivered)
    assert result.counts["hook_deliveries"] >= 1


def pruned_old_event_with(rt, hub_id: str, status: str, dead_for: timedelta) -> tuple[int, str]:
    """A 120-day-old event with one hook delivery in `status` since `dead_for` ago, after a pass."""
    old = aged_event(rt, hub_id, 120 * DAY)
    delivery = hook_delivery(rt, hub_id, old, status, 120 * DAY, dead_for=dead_for)
    fresh_event(rt, hub_id)
    prune(rt.db, NOW_POLICY)
    return old, delivery


def test_a_dead_letter_younger_than_30_days_keeps_its_old_event(backend_tenant):
    rt = get_runtime()
    old, dead = pruned_old_event_with(rt, backend_tenant.hub_id, "dead", dead_for=29 * DAY)
    assert exists(rt, Event, id=old)
    assert exists(rt, HookDelivery, id=dead)


def test_a_dead_letter_is_deleted_30_days_after_it_died(backend_tenant):
    rt = get_runtime()
    event = aged_event(rt, backend_tenant.hub_id, 40 * DAY)
    gone = hook_delivery(rt, backend_tenant.hub_id, event, "dead", 40 * DAY, dead_for=31 * DAY)
    kept = hook_delivery(rt, backend_tenant.hub_id, event, "dead", 40 * DAY, dead_for=29 * DAY)
    fresh_event(rt, backend_tenant.hub_id)
    prune(rt.db, NOW_POLICY)
    assert not exists(rt, HookDelivery, id=gone)
    assert exists(rt, HookDelivery, id=kept)
    assert exists(rt, Event, id=event)  # 40 days: the event stays for its own 90


def test_a_replayed_dead_letter_still_to_be_made_keeps_its_event(backend_tenant):
    rt = get_runtime()
    old, replayed = pruned_old_event_with(rt, backend_tenant.hub_id, "pending", dead_for=40 * DAY)
    assert exists(rt, Event, id=old)
    assert exists(rt, HookDelivery, id=replayed)


def test_a_succeeded_hook_delivery_is_deleted_at_its_age_and_not_before(backend_tenant):
    rt = get_runtime()
    event = aged_event(rt, backend_tenant.hub_id, 10 * DAY)  # the event itself stays
    policy = Policy(hook_deliveries=30 * DAY, pause_seconds=0, budget_seconds=None)
    gone = hook_delivery(rt, backend_tenant.hub_id, event, "succeeded", 31 * DAY)
    kept = hook_delivery(rt, backend_tenant.hub_id, event, "succeeded", 29 * DAY)
    prune(rt.db, policy)
    assert not exists(rt, HookDelivery, id=gone)
    assert exists(rt, HookDelivery, id=kept)


# --- action runs ----------------------------------------------------------------------------------

def test_an_action_run_goes_with_its_deliveries_and_callback_at_90_days_and_not_before(backend_tenant):
    rt = get_runtime()
    old = action_run(rt, backend_tenant, 91 * DAY, callback="succeeded")
    young = action_run(rt, backend_tenant, 89 * DAY)
    prune(rt.db, NOW_POLICY)
    assert not exists(rt, ActionRun, id=old)
    assert not exists(rt, Delivery, action_run_id=old)
    assert not exists(rt, ActionCallback, action_run_id=old)
    assert exists(rt, ActionRun, id=young) and exists(rt, Delivery, action_run_id=young)


def test_an_old_action_run_with_a_dead_delivery_younger_than_30_days_is_kept(backend_tenant):
    rt = get_runtime()
    held = action_run(rt, backend_tenant, 120 * DAY, status="dead", dead_for=29 * DAY)
    expired = action_run(rt, backend_tenant, 120 * DAY, status="dead", dead_for=31 * DAY)
    prune(rt.db, NOW_POLICY)
    assert exists(rt, Delivery, action_run_id=held)
    assert not exists(rt, ActionRun, id=expired)


def test_an_old_action_run_still_delivering_is_kept(backend_tenant):
    rt = get_runtime()
    pending = action_run(rt, backend_tenant, 120 * DAY, status="pending")
    waiting = action_run(rt, backend_tenant, 120 * DAY, callback="waiting")
    prune(rt.db, NOW_POLICY)
    assert exists(rt, ActionRun, id=pending) and exists(rt, ActionRun, id=waiting)


# --- idempotency records and callback event ids ---------------------------------------------------

def test_an_idempotency_record_is_deleted_after_24_hours_and_not_before(backend_tenant):
    rt = get_runtime()
    with rt.db.session() as s:
        key_id = s.scalars(select(ApiKey.id).where(ApiKey.hub_id == backend_tenant.hub_id)).first()
        for name, age in (("old", timedelta(hours=25)), ("young", timedelta(hours=23))):
            s.add(IdempotencyRecord(api_key_id=key_id, key=name, hub_id=backend_tenant.hub_id,
                                    request_hash="x", created_at=utcnow() - age))
    prune(rt.db, NOW_POLICY)
    assert not exists(rt, IdempotencyRecord, api_key_id=key_id, key="old")
    assert exists(rt, IdempotencyRecord, api_key_id=key_id, key="young")
    forget(rt, IdempotencyRecord, IdempotencyRecord.api_key_id == key_id)


def test_a_callback_event_id_is_forgotten_after_7_days_and_not_before(backend_tenant):
    rt = get_runtime()
    with rt.db.session() as s:
        for name, age in (("old", 8 * DAY), ("young", 6 * DAY)):
            s.add(CallbackEvent(connection_id=backend_tenant.connection_id, event_id=name,
                                received_at=utcnow() - age))
    prune(rt.db, NOW_POLICY)
    assert not exists(rt, CallbackEvent, connection_id=backend_tenant.connection_id, event_id="old")
    assert exists(rt, CallbackEvent, connection_id=backend_tenant.connection_id, event_id="young")
    forget(rt, CallbackEvent, CallbackEvent.connection_id == backend_tenant.connection_id)


# --- batches and the time budget ------------------------------------------------------------------

def test_each_batch_deletes_at_most_batch_rows(backend_tenant):
    rt = get_runtime()
    old = [aged_event(rt, backend_tenant.hub_id, 91 * DAY) for _ in range(7)]
    fresh_event(rt, backend_tenant.hub_id)

    def left() -> int:
        with rt.db.session() as s:
            return len(s.scalars(select(Event.id).where(Event.id.in_(old))).all())

    seen = [left()]
    policy = Policy(batch_rows=3, pause_seconds=0, budget_seconds=None)
    prune(rt.db, policy, sleep=lambda _: seen.append(left()))
    seen.append(left())
    steps = [before - after for before, after in zip(seen, seen[1:], strict=False)]
    assert seen[-1] == 0
    assert max(steps) == 3  # 7 events: 3, 3, 1


def test_a_pass_pauses_after_each_batch_that_deleted_rows(backend_tenant):
    rt = get_runtime()
    for _ in range(2):
        aged_event(rt, backend_tenant.hub_id, 91 * DAY)
    fresh_event(rt, backend_tenant.hub_id)
    pauses: list[float] = []
    prune(rt.db, Policy(batch_rows=1, pause_seconds=0.25, budget_seconds=None), sleep=pauses.append)
    assert len(pauses) >= 2 and set(pauses) == {0.25}


def test_a_pass_stops_when_its_time_budget_is_spent_and_the_next_goes_on(backend_tenant):
    rt = get_runtime()
    old = aged_event(rt, backend_tenant.hub_id, 91 * DAY)
    fresh_event(rt, backend_tenant.hub_id)
    ticks = count()
    short = prune(rt.db, Policy(pause_seconds=0, budget_seconds=0.5), clock=lambda: float(next(ticks)))
    assert not short.complete and short.batches == 1
    assert exists(rt, Event, id=old)
    assert prune(rt.db, NOW_POLICY).complete
    assert not exists(rt, Event, id=old)


# --- polls whose cursor points below what is left -------------------------------------------------

def pruned_hub(rt, tenant) -> tuple[list[int], list[int]]:
    """Three old and two young low_stock events of the tenant, pruned: (deleted ids, kept ids)."""
    old = [aged_event(rt, tenant.hub_id, 91 * DAY) for _ in range(3)]
    kept = [aged_event(rt, tenant.hub_id, 1 * DAY), fresh_event(rt, tenant.hub_id)]
    prune(rt.db, NOW_POLICY)
    return old, kept


def test_a_poll_since_an_id_below_the_retained_range_answers_what_is_left_and_says_so(
        backend_client, backend_tenant):
    old, kept = pruned_hub(get_runtime(), backend_tenant)
    response = backend_client.get("/v1/triggers/low_stock", query_string={"since_id": old[0] - 1},
                                  headers=backend_tenant.auth())
    assert response.status_code == 200
    assert [item["id"] for item in response.json] == kept[::-1]
    assert response.headers[PRUNED_HEADER] == str(old[-1] + 1)


def test_a_poll_since_an_id_inside_the_retained_range_has_no_pruned_header(backend_client, backend_tenant):
    old, kept = pruned_hub(get_runtime(), backend_tenant)
    response = backend_client.get("/v1/triggers/low_stock", query_string={"since_id": old[-1]},
                                  headers=backend_tenant.auth())
    assert [item["id"] for item in response.json] == kept[::-1]
    assert PRUNED_HEADER not in response.headers


def test_a_poll_before_the_first_retained_id_answers_an_empty_page_and_says_so(
        backend_client, backend_tenant):
    old, _ = pruned_hub(get_runtime(), backend_tenant)
    response = backend_client.get("/v1/triggers/low_stock", query_string={"before_id": old[-1]},
                                  headers=backend_tenant.auth())
    assert response.status_code == 200 and response.json == []
    assert response.headers[PRUNED_HEADER] == str(old[-1] + 1)


def test_a_poll_without_a_cursor_has_no_pruned_header(backend_client, backend_tenant):
    pruned_hub(get_runtime(), backend_tenant)
    response = backend_client.get("/v1/triggers/low_stock", headers=backend_tenant.auth())
    assert PRUNED_HEADER not in response.headers


def test_openapi_documents_the_pruned_header_on_every_trigger_poll(client):
    spec = client.get("/openapi.json").json
    headers = spec["paths"]["/v1/triggers/low_stock"]["get"]["responses"]["200"]["headers"]
    assert "first id retention kept" in headers[PRUNED_HEADER]["description"]


# --- the prune command, settings and the scheduler ------------------------------------------------

def run_prune(capsys, settings, *argv) -> dict:
    assert main(["--json", "prune", *argv], settings=settings) == 0
    return json.loads(capsys.readouterr().out)


def test_prune_dry_run_counts_what_a_pass_deletes_and_deletes_nothing(capsys, settings, tenant):
    rt = get_runtime()
    old = aged_event(rt, tenant.hub_id, 91 * DAY)
    hook_delivery(rt, tenant.hub_id, old, "succeeded", 91 * DAY)
    action_run(rt, tenant, 91 * DAY, callback="succeeded")
    fresh_event(rt, tenant.hub_id)
    dry = run_prune(capsys, settings, "--dry-run")
    assert dry["dry_run"] is True
    assert exists(rt, Event, id=old)
    for kind in ("events", "hook_deliveries", "action_runs", "deliveries", "action_callbacks"):
        assert dry["would_delete"][kind] >= 1
    done = run_prune(capsys, settings)
    assert done["deleted"] == dry["would_delete"] and done["complete"] is True
    assert not exists(rt, Event, id=old)


def test_retention_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("HUB_RETENTION_EVENTS_DAYS", "30")
    monkeypatch.setenv("HUB_RETENTION_BATCH_ROWS", "1000")
    policy = Policy.from_settings(Settings.from_env())
    assert policy.events == 30 * DAY and policy.batch_rows == 1000


@pytest.mark.parametrize(("setting", "default"), [
    ("events", 90 * DAY), ("hook_deliveries", 90 * DAY), ("action_runs", 90 * DAY),
    ("dead_letters", 30 * DAY), ("idempotency", timedelta(hours=24)), ("callback_events", 7 * DAY),
])
def test_the_default_retention_ages(setting, default):
    assert getattr(Policy.from_settings(Settings()), setting) == default


def test_the_scheduler_runs_retention():
    assert "retention" in {sweep.name for sweep in registered_sweeps()}


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (HUB_TEST_DATABASE_URL)")
def test_a_pass_does_not_wait_for_a_transaction_holding_the_hubs_event_order(database_urls):
    create_app(make_settings(database_urls["postgresql"]))
    rt = get_runtime()
    tenant = build_tenant(rt)
    old = aged_event(rt, tenant.hub_id, 91 * DAY)
    fresh_event(rt, tenant.hub_id)
    writer = rt.db.sessions()
    try:
        emit(writer, tenant.hub_id, "low_stock", {"label": "in flight"})  # holds the hub's row lock
        passes: list = []
        thread = threading.Thread(target=lambda: passes.append(prune(rt.db, NOW_POLICY)), daemon=True)
        thread.start()
        thread.join(10)
        assert passes and passes[0].complete
        assert not exists(rt, Event, id=old)
    finally:
        writer.rollback()
        writer.close()
