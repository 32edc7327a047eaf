"""A hub's time zone and currency: set by CLI and admin API, shown by /v1/me, and used for what the
tools send without them (a coupon time without offset, a price without currency)."""

from sqlalchemy import select

from hub.models import Coupon, Hub, MenuItem
from hub.runtime import get_runtime
from hub.schemas import validate
from tests.test_cli import run_cli


def set_hub(client, tenant, **fields):
    response = client.patch("/v1/admin/hub", json=fields, headers=tenant.auth("admin"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def publish(client, tenant, **body):
    response = client.post("/v1/actions/publish_coupon", json=body, headers=tenant.auth())
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def coupon(tenant, code):
    with get_runtime().db.session() as s:
        return s.scalar(select(Coupon).where(Coupon.hub_id == tenant.hub_id, Coupon.code == code))


def menu_item(tenant, sku):
    with get_runtime().db.session() as s:
        return s.scalar(select(MenuItem).where(MenuItem.hub_id == tenant.hub_id, MenuItem.sku == sku))


def test_a_new_hub_is_in_utc_and_euro_and_me_says_so(client, tenant):
    me = client.get("/v1/me", headers=tenant.auth()).get_json()
    assert me["hub"]["timezone"] == "UTC" and me["hub"]["currency"] == "EUR"
    assert validate("me.output.json", me) == []


def test_the_admin_api_changes_the_hubs_time_zone_and_currency(backend_client, backend_tenant):
    changed = set_hub(backend_client, backend_tenant, timezone="Europe/Berlin", currency="CHF")
    assert (changed["timezone"], changed["currency"]) == ("Europe/Berlin", "CHF")
    assert validate("admin/hub.json", changed) == []
    me = backend_client.get("/v1/me", headers=backend_tenant.auth()).get_json()
    assert (me["hub"]["timezone"], me["hub"]["currency"]) == ("Europe/Berlin", "CHF")


def test_an_unknown_time_zone_is_refused_at_its_field(client, tenant):
    response = client.patch("/v1/admin/hub", json={"timezone": "Europe/Atlantis"},
                            headers=tenant.auth("admin"))
    assert response.status_code == 422
    assert [e["path"] for e in response.get_json()["errors"]] == ["/timezone"]


def test_only_admin_keys_change_the_hub(client, tenant):
    response = client.patch("/v1/admin/hub", json={"currency": "USD"}, headers=tenant.auth())
    assert response.status_code == 403


def test_the_cli_creates_a_hub_with_a_time_zone_and_currency_and_changes_them(capsys, settings, client):
    _, created = run_cli(capsys, settings, "create-hub", "Zurich canteen", "--timezone", "Europe/Zurich",
                      "--currency", "CHF")
    assert (created["timezone"], created["currency"]) == ("Europe/Zurich", "CHF")
    _, changed = run_cli(capsys, settings, "set-hub", created["id"], "--timezone", "America/New_York")
    assert (changed["timezone"], changed["currency"]) == ("America/New_York", "CHF")
    with get_runtime().db.session() as s:
        assert s.get(Hub, created["id"]).timezone == "America/New_York"


def test_a_coupon_time_without_offset_is_in_the_hubs_time_zone(backend_client, backend_tenant):
    set_hub(backend_client, backend_tenant, timezone="Europe/Berlin")
    publish(backend_client, backend_tenant, code="XMAS", discount_type="percent", percent_off="10",
            valid_from="2026-12-24T08:00:00", valid_until="2026-12-31T23:00:00")
    saved = coupon(backend_tenant, "XMAS")
    assert saved.valid_from.isoformat() == "2026-12-24T07:00:00+00:00"
    assert saved.valid_until.isoformat() == "2026-12-31T22:00:00+00:00"


def test_a_coupon_time_with_an_offset_keeps_it(client, tenant):
    set_hub(client, tenant, timezone="Europe/Berlin")
    publish(client, tenant, code="NYE", discount_type="percent", percent_off="10",
            valid_until="2026-12-31T23:00:00Z")
    assert coupon(tenant, "NYE").valid_until.isoformat() == "2026-12-31T23:00:00+00:00"


def test_empty_coupon_times_mean_no_limit(client, tenant):
    publish(client, tenant, code="OPEN", discount_type="percent", percent_off="5", valid_from="",
            valid_until="")
    saved = coupon(tenant, "OPEN")
    assert saved.valid_from is None and saved.valid_until is None


def test_the_coupon_time_help_text_names_the_hubs_time_zone():
    from hub.schemas import schema

    for field in ("valid_from", "valid_until"):
        text = schema("actions/publish_coupon.input.json")["properties"][field]["description"]
        assert "hub's time zone" in text


def test_a_price_without_currency_takes_the_hubs_currency(backend_client, backend_tenant):
    set_hub(backend_client, backend_tenant, currency="CHF")
    response = backend_client.post("/v1/actions/update_menu", headers=backend_tenant.auth(), json={
        "items": [{"sku": "SAL-1", "name": "Salad", "price": {"amount": "9.50"}}]})
    assert response.status_code == 202, response.get_json()
    item = menu_item(backend_tenant, "SAL-1")
    assert (item.price_amount, item.currency) == ("9.50", "CHF")
    listed = backend_client.get("/v1/menu-items", headers=backend_tenant.auth()).get_json()
    assert listed[0]["price"] == {"amount": "9.50", "currency": "CHF"}


def test_a_fixed_coupon_without_currency_takes_the_hubs_currency(client, tenant):
    publish(client, tenant, code="TWO", discount_type="fixed", amount_off={"amount": "2"})
    assert coupon(tenant, "TWO").currency == "EUR"


def test_an_empty_description_category_or_image_clears_it(client, tenant):
    headers = tenant.auth()
    item = {"sku": "BWL-1", "name": "Bowl", "price": {"amount": "8", "currency": "EUR"},
            "description": "Rice", "category": "Bowls", "image_url": "https://cdn.example.com/b.jpg"}
    assert client.post("/v1/actions/update_menu", json={"items": [item]}, headers=headers).status_code == 202
    cleared = {"sku": "BWL-1", "description": "", "category": "", "image_url": ""}
    response = client.post("/v1/actions/update_menu", json={"items": [cleared]}, headers=headers)
    assert response.status_code == 202, response.get_json()
    saved = menu_item(tenant, "BWL-1")
    assert (saved.description, saved.category, saved.image_url) == (None, None, None)


def test_no_help_text_asks_for_null():
    from hub.schemas import all_schema_paths, schema

    def texts(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "description" and isinstance(value, str):
                    yield value
                else:
                    yield from texts(value)
        elif isinstance(node, list):
            for value in node:
                yield from texts(value)

    asking = [(path, text) for path in all_schema_paths() for text in texts(schema(path))
              if "send null" in text.lower()]
    assert asking == []
