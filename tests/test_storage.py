"""Storage on SQLite and PostgreSQL: encryption at rest, atomic stock, migrations."""


from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from hub.models import Base, Connection, InventoryLevel
from hub.runtime import get_runtime
from hub.stock import change_stock, set_stock
from tests.conftest import build_tenant, run_concurrently


def test_stored_credentials_are_not_readable_in_the_database(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt, connection_type="sandbox", credentials={})
    with rt.db.session() as s:
        from hub.admin import add_connection

        con = add_connection(s, rt.vault, tenant.hub_id, "sandbox", "Secret POS", {}, {})
        con.credentials_encrypted = rt.vault.encrypt_json({"access_token": "sq0atp-VERY-SECRET-TOKEN"})
    with rt.db.engine.connect() as conn:
        raw = conn.execute(text("SELECT * FROM connections WHERE id = :id"), {"id": con.id}).one()
    assert "VERY-SECRET" not in repr(raw)
    with rt.db.session() as s:
        stored = s.get(Connection, con.id)
        assert rt.vault.decrypt_json(stored.credentials_encrypted) == {
            "access_token": "sq0atp-VERY-SECRET-TOKEN"
        }


def test_rotated_credentials_are_readable_with_the_new_key_alone(backend_app):
    from cryptography.fernet import Fernet

    from hub.crypto import Vault

    rt = get_runtime()
    token = rt.vault.encrypt_json({"api_key": "k"})
    new_key = Fernet.generate_key().decode()
    rotated = Vault((new_key, *rt.settings.secret_keys)).rotate(token)
    assert Vault((new_key,)).decrypt_json(rotated) == {"api_key": "k"}


def test_fifty_concurrent_decrements_of_one_item_end_exact(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    location = tenant.location_ids[0]
    with rt.db.session() as s:
        set_stock(s, tenant.hub_id, location, "SAL-CAESAR", 100)

    def sell_one():
        with rt.db.session() as s:
            change_stock(s, tenant.hub_id, location, "SAL-CAESAR", -1)

    run_concurrently(50, sell_one)
    with rt.db.session() as s:
        level = s.scalar(
            select(InventoryLevel).where(
                InventoryLevel.location_id == location, InventoryLevel.sku == "SAL-CAESAR"
            )
        )
    assert level.quantity == 50


def test_concurrent_sales_across_the_threshold_cross_it_once(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    location = tenant.location_ids[0]
    with rt.db.session() as s:
        set_stock(s, tenant.hub_id, location, "WRAP-FALAFEL", 10, threshold=5)

    def sell_one():
        with rt.db.session() as s:
            return change_stock(s, tenant.hub_id, location, "WRAP-FALAFEL", -1).crossed_low

    assert run_concurrently(8, sell_one).count(True) == 1


def test_stock_rising_above_threshold_rearms_the_crossing(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    location = tenant.location_ids[0]
    with rt.db.session() as s:
        set_stock(s, tenant.hub_id, location, "SOUP-TOMATO", 6, threshold=5)
        assert change_stock(s, tenant.hub_id, location, "SOUP-TOMATO", -1).crossed_low
        assert not change_stock(s, tenant.hub_id, location, "SOUP-TOMATO", -1).crossed_low
        assert set_stock(s, tenant.hub_id, location, "SOUP-TOMATO", 20).rearmed
        assert change_stock(s, tenant.hub_id, location, "SOUP-TOMATO", -15).crossed_low


def test_migrations_match_the_models(backend_app):
    with get_runtime().db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def test_a_change_past_the_columns_range_is_exact_and_clamped(backend_app):
    # A batch sums its sales per item, so a change may be larger than the column can hold.
    rt = get_runtime()
    tenant = build_tenant(rt)
    location = tenant.location_ids[0]
    with rt.db.session() as s:
        set_stock(s, tenant.hub_id, location, "SAL-CAESAR", 100)
        assert change_stock(s, tenant.hub_id, location, "SAL-CAESAR", -(2**31 + 50)).quantity == -(2**31) + 50
        assert change_stock(s, tenant.hub_id, location, "SAL-CAESAR", -(2**31)).quantity == -(2**31)
        assert change_stock(s, tenant.hub_id, location, "SAL-CAESAR", 2**32 - 7).quantity == 2**31 - 7
        assert change_stock(s, tenant.hub_id, location, "SAL-CAESAR", 2**33).quantity == 2**31 - 1
        assert change_stock(s, tenant.hub_id, location, "SAL-CAESAR", -(2**33)).quantity == -(2**31)
