"""Online status: one pos_offline per outage, one pos_online when contact returns."""

from datetime import timedelta

from sqlalchemy import select

from hub.models import Connection, Event, Location, utcnow
from hub.presence import record_contact, report_location, sweep_offline
from hub.runtime import get_runtime
from tests.conftest import build_tenant


def events(rt, hub_id):
    with rt.db.session() as s:
        return s.scalars(select(Event).where(Event.hub_id == hub_id).order_by(Event.id)).all()


def test_an_outage_fires_one_offline_and_one_online(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    start = utcnow() - timedelta(minutes=30)
    with rt.db.session() as s:
        record_contact(s, s.get(Connection, tenant.connection_id), now=start)
    sweep_offline(rt.db, now=start + timedelta(minutes=6))
    sweep_offline(rt.db, now=start + timedelta(minutes=7))
    with rt.db.session() as s:
        assert record_contact(s, s.get(Connection, tenant.connection_id), now=start + timedelta(minutes=9))
        later = start + timedelta(minutes=10)
        assert not record_contact(s, s.get(Connection, tenant.connection_id), now=later)
    fired = events(rt, tenant.hub_id)
    assert [e.type for e in fired] == ["pos_offline", "pos_online"]
    assert fired[0].payload["reason"] == "no_contact"
    assert fired[1].payload["outage_seconds"] == 180


def test_contact_within_the_window_keeps_the_connection_online(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    now = utcnow()
    with rt.db.session() as s:
        record_contact(s, s.get(Connection, tenant.connection_id), now=now - timedelta(minutes=4))
    sweep_offline(rt.db, now=now)
    assert events(rt, tenant.hub_id) == []


def test_a_location_reported_inactive_goes_offline_once_and_comes_back(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s:
        con = s.get(Connection, tenant.connection_id)
        loc = s.get(Location, tenant.location_ids[1])
        assert report_location(s, con, loc, online=False) == "pos_offline"
    with rt.db.session() as s:
        con, loc = s.get(Connection, tenant.connection_id), s.get(Location, tenant.location_ids[1])
        assert report_location(s, con, loc, online=False) is None
        assert report_location(s, con, loc, online=True) == "pos_online"
    fired = events(rt, tenant.hub_id)
    assert [(e.type, e.payload["scope"]) for e in fired] == [("pos_offline", "location"),
                                                             ("pos_online", "location")]
    assert fired[0].payload["location"]["name"] == "Gym fridge"
