"""The JSON Schema contracts under schemas/ and hub.schemas, which loads and validates with them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from hub import schemas

PATHS = schemas.all_schema_paths()
FORBIDDEN_KEYWORDS = {
    "prefixItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$dynamicRef",
    "$dynamicAnchor",
}
DECIMAL_PATTERNS = {r"^-?\d{1,12}(\.\d{1,4})?$", r"^\d{1,12}(\.\d{1,4})?$"}  # signed; never negative
# Subschemas that restate fields defined elsewhere to express a condition; they carry no labels.
CONDITION_KEYWORDS = {"if", "then", "else", "not"}


def _walk(node: Any, in_condition: bool = False):
    """Every subschema (dict) of a schema, with whether it sits inside a condition."""
    if isinstance(node, dict):
        yield node, in_condition
        for key, value in node.items():
            if key in ("examples", "default", "const", "enum"):
                continue
            if key in ("properties", "$defs", "patternProperties"):
                for sub in value.values():
                    yield from _walk(sub, in_condition)
            else:
                yield from _walk(value, in_condition or key in CONDITION_KEYWORDS)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, in_condition)


def _examples() -> list[tuple[str, int]]:
    return [(path, index) for path in PATHS for index in range(len(schemas.schema(path).get("examples", [])))]


def _menu_item(**fields: Any) -> dict[str, Any]:
    item = {"sku": "SAL-CAESAR", "name": "Caesar salad", "price": {"amount": "8.90", "currency": "EUR"}}
    item.update(fields)
    return item


def _paths(errors: list[dict[str, str]]) -> list[str]:
    return [error["path"] for error in errors]


# ---------- every file ----------


def test_all_schema_paths_lists_every_json_file_under_schemas() -> None:
    on_disk = sorted(p.relative_to(schemas.SCHEMA_DIR).as_posix() for p in schemas.SCHEMA_DIR.rglob("*.json"))
    assert PATHS == on_disk
    assert "triggers/new_purchase.output.json" in PATHS


@pytest.mark.parametrize("path", PATHS)
def test_schema_file_is_a_valid_draft_2020_12_schema(path: str) -> None:
    doc = schemas.schema(path)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(doc)


@pytest.mark.parametrize("path", PATHS)
def test_schema_file_is_also_a_valid_draft_07_schema(path: str) -> None:
    doc = schemas.schema(path)
    doc.pop("$schema")
    Draft7Validator.check_schema(doc)


@pytest.mark.parametrize("path", PATHS)
def test_schema_file_uses_no_keyword_draft_07_cannot_read(path: str) -> None:
    used = {key for node, _ in _walk(schemas.schema(path)) for key in node}
    assert not used & FORBIDDEN_KEYWORDS


@pytest.mark.parametrize("path", PATHS)
def test_schema_file_id_matches_its_path(path: str) -> None:
    assert schemas.schema(path)["$id"] == f"https://pos-hub.dev/schemas/{path}"


@pytest.mark.parametrize("path", PATHS)
def test_schema_file_has_title_description_and_examples(path: str) -> None:
    doc = schemas.schema(path)
    assert doc["title"].strip()
    assert doc["description"].strip()
    assert isinstance(doc["examples"], list) and doc["examples"]


@pytest.mark.parametrize(("path", "index"), _examples())
def test_every_example_validates_against_its_schema(path: str, index: int) -> None:
    assert schemas.validate(path, schemas.schema(path)["examples"][index]) == []


@pytest.mark.parametrize("path", PATHS)
def test_every_property_has_a_title_and_a_description(path: str) -> None:
    unlabeled = [
        name
        for node, in_condition in _walk(schemas.schema(path))
        if not in_condition
        for name, prop in node.get("properties", {}).items()
        if not (prop.get("title", "").strip() and prop.get("description", "").strip())
    ]
    assert unlabeled == []


@pytest.mark.parametrize("path", PATHS)
def test_every_object_schema_states_additional_properties(path: str) -> None:
    silent = [
        node.get("title", "?")
        for node, in_condition in _walk(schemas.schema(path))
        if not in_condition and (node.get("type") == "object" or "properties" in node)
        if "additionalProperties" not in node
    ]
    assert silent == []


@pytest.mark.parametrize(
    "path", [p for p in PATHS if ".input." in p or p.startswith("common/menu_item_input")]
)
def test_input_objects_refuse_unknown_fields(path: str) -> None:
    for node, in_condition in _walk(schemas.schema(path)):
        if not in_condition and "properties" in node:
            assert node["additionalProperties"] is False, node.get("title")


@pytest.mark.parametrize("path", PATHS)
def test_every_ref_points_at_an_existing_schema_location(path: str) -> None:
    doc = schemas.schema(path)
    for node, _ in _walk(doc):
        if "$ref" not in node:
            continue
        target, fragment = urldefrag(urljoin(doc["$id"], node["$ref"]))
        target_path = target.removeprefix(schemas.BASE_URI)
        assert target_path in PATHS, node["$ref"]
        located: Any = schemas.schema(target_path)
        for part in filter(None, fragment.split("/")):
            located = located[part]
        assert isinstance(located, dict)


@pytest.mark.parametrize("path", PATHS)
def test_money_amounts_are_decimal_strings_and_currencies_iso_4217(path: str) -> None:
    for node, _ in _walk(schemas.schema(path)):
        for name, prop in node.get("properties", {}).items():
            if name == "currency":
                assert prop["pattern"] == "^[A-Z]{3}$"
            if name in ("amount", "total", "unit_price", "line_total"):
                assert prop["type"] == "string" and prop["pattern"] in DECIMAL_PATTERNS


# ---------- loading ----------


def test_schema_returns_a_copy_that_callers_may_change() -> None:
    first = schemas.schema("common/money.json")
    first["title"] = "changed"
    assert schemas.schema("common/money.json")["title"] == "Money"


def test_example_returns_the_first_example() -> None:
    doc = schemas.schema("common/menu_item.json")
    assert schemas.example("common/menu_item.json") == doc["examples"][0]
    assert schemas.example("common/menu_item.json")["sku"] == "SAL-CAESAR"


def test_unknown_schema_path_raises_key_error() -> None:
    with pytest.raises(KeyError):
        schemas.schema("../hub/config.py")


def test_schema_dir_is_the_projects_schemas_folder() -> None:
    assert schemas.SCHEMA_DIR == Path(__file__).resolve().parent.parent / "schemas"


# ---------- validate ----------


def test_valid_update_menu_body_has_no_errors() -> None:
    assert schemas.validate("actions/update_menu.input.json", {"items": [_menu_item()]}) == []


def test_update_menu_with_two_bad_items_lists_every_bad_field() -> None:
    body = {
        "items": [
            _menu_item(price={"amount": "8,90", "currency": "EUR"}),
            {"name": "Greek salad", "available": "yes"},
        ]
    }
    errors = schemas.validate("actions/update_menu.input.json", body)
    assert _paths(errors) == ["/items/0/price/amount", "/items/1/available", "/items/1/sku"]


def test_missing_required_property_is_reported_at_its_own_path() -> None:
    errors = schemas.validate("actions/update_menu.input.json", {"items": [_menu_item(), {"name": "x"}]})
    assert errors == [{"path": "/items/1/sku", "message": "SKU (items[1].sku) is required."}]


def test_messages_name_the_field_and_what_is_expected() -> None:
    body = {"items": [_menu_item(price={"amount": 8.9, "currency": "eur"})]}
    messages = {e["path"]: e["message"] for e in schemas.validate("actions/update_menu.input.json", body)}
    assert messages["/items/0/price/amount"] == "Amount (items[0].price.amount) must be text."
    assert "items[0].price.currency" in messages["/items/0/price/currency"]
    assert '"EUR"' in messages["/items/0/price/currency"]


def test_unknown_field_is_reported_at_its_own_path() -> None:
    errors = schemas.validate("actions/update_menu.input.json", {"items": [_menu_item(colour="green")]})
    assert _paths(errors) == ["/items/0/colour"]
    assert "not a known field" in errors[0]["message"]


def test_errors_are_sorted_by_path_with_list_positions_in_numeric_order() -> None:
    items = [_menu_item() for _ in range(11)]
    items[2] = {"name": "no sku"}
    items[10] = {"name": "no sku either"}
    errors = schemas.validate("actions/update_menu.input.json", {"items": items})
    assert _paths(errors) == ["/items/2/sku", "/items/10/sku"]


def test_empty_items_list_is_rejected() -> None:
    errors = schemas.validate("actions/update_menu.input.json", {"items": []})
    assert _paths(errors) == ["/items"]


def test_body_that_is_not_an_object_is_reported_at_the_root() -> None:
    errors = schemas.validate("actions/update_menu.input.json", ["SAL-CAESAR"])
    assert errors == [{"path": "", "message": "The request body must be an object (a group of fields)."}]


def test_percent_coupon_without_percent_off_is_rejected() -> None:
    body = {"code": "LUNCH10", "discount_type": "percent"}
    errors = schemas.validate("actions/publish_coupon.input.json", body)
    assert errors == [{"path": "/percent_off", "message": "Percent off (percent_off) is required."}]


def test_fixed_coupon_without_amount_off_is_rejected() -> None:
    errors = schemas.validate(
        "actions/publish_coupon.input.json", {"code": "WELCOME2", "discount_type": "fixed"}
    )
    assert _paths(errors) == ["/amount_off"]


@pytest.mark.parametrize("percent", ["0", "0.0000", "100.01", "101", "-5", "10%", "ten"])
def test_percent_off_outside_zero_to_hundred_is_rejected(percent: str) -> None:
    body = {"code": "LUNCH10", "discount_type": "percent", "percent_off": percent}
    assert _paths(schemas.validate("actions/publish_coupon.input.json", body)) == ["/percent_off"]


@pytest.mark.parametrize("percent", ["0.5", "10", "12.5", "99.9999", "100", "100.00"])
def test_percent_off_within_zero_to_hundred_is_accepted(percent: str) -> None:
    body = {"code": "LUNCH10", "discount_type": "percent", "percent_off": percent}
    assert schemas.validate("actions/publish_coupon.input.json", body) == []


@pytest.mark.parametrize("code", ["AB", "LUNCH 10", "X" * 41, "RABATT€"])
def test_coupon_code_outside_the_allowed_characters_is_rejected(code: str) -> None:
    body = {"code": code, "discount_type": "fixed", "amount_off": {"amount": "2.00", "currency": "EUR"}}
    assert _paths(schemas.validate("actions/publish_coupon.input.json", body)) == ["/code"]


@pytest.mark.parametrize("stamp", ["2025-03-14", "2025-03-14T12:30:00", "2025-13-01T00:00:00Z", "yesterday"])
def test_date_time_without_time_zone_or_out_of_range_is_rejected(stamp: str) -> None:
    body = {"code": "LUNCH10", "discount_type": "percent", "percent_off": "10", "valid_from": stamp}
    errors = schemas.validate("actions/publish_coupon.input.json", body)
    assert _paths(errors) == ["/valid_from"]
    assert "date and time" in errors[0]["message"]


@pytest.mark.parametrize("stamp", ["2025-03-14T12:30:00Z", "2025-03-14T12:30:00.123456789+01:00"])
def test_rfc_3339_date_time_is_accepted(stamp: str) -> None:
    body = {"code": "LUNCH10", "discount_type": "percent", "percent_off": "10", "valid_from": stamp}
    assert schemas.validate("actions/publish_coupon.input.json", body) == []


@pytest.mark.parametrize("url", ["cdn.example.com/salad.jpg", "https://", "https://cdn.example.com/a b.jpg"])
def test_image_url_must_be_a_full_web_address(url: str) -> None:
    errors = schemas.validate("actions/update_menu.input.json", {"items": [_menu_item(image_url=url)]})
    assert _paths(errors) == ["/items/0/image_url"]


def test_null_clears_optional_menu_fields() -> None:
    item = _menu_item(description=None, category=None, image_url=None, location_ids=None)
    assert schemas.validate("actions/update_menu.input.json", {"items": [item]}) == []


def test_single_purchase_error_points_at_its_field() -> None:
    purchase = copy.deepcopy(schemas.example("pos/purchase.input.json"))
    del purchase["currency"]
    purchase["lines"][1]["quantity"] = 0
    errors = schemas.validate("pos/purchases.input.json", purchase)
    assert _paths(errors) == ["/currency", "/lines/1/quantity"]


def test_purchase_batch_error_points_into_the_batch() -> None:
    purchase = copy.deepcopy(schemas.example("pos/purchase.input.json"))
    purchase["occurred_at"] = "14.03.2025 12:31"
    errors = schemas.validate(
        "pos/purchases.input.json", {"purchases": [schemas.example("pos/purchase.input.json"), purchase]}
    )
    assert _paths(errors) == ["/purchases/1/occurred_at"]


def test_purchases_body_of_neither_shape_is_reported_at_the_root() -> None:
    errors = schemas.validate("pos/purchases.input.json", "TX-1")
    assert _paths(errors) == [""]
    assert "allowed shapes" in errors[0]["message"]


def test_hook_filters_must_be_filters_of_the_chosen_trigger() -> None:
    body = {
        "trigger": "pos_offline",
        "target_url": "https://hooks.zapier.com/x",
        "filters": {"sku": "SAL-CAESAR"},
    }
    assert _paths(schemas.validate("hooks/subscription.input.json", body)) == ["/filters/sku"]


def test_hook_target_url_must_be_http_or_https() -> None:
    body = {"trigger": "low_stock", "target_url": "ftp://files.example.com/in"}
    errors = schemas.validate("hooks/subscription.input.json", body)
    assert _paths(errors) == ["/target_url"]
    assert "http://" in errors[0]["message"]


def test_nullable_money_with_a_bad_amount_is_reported_inside_it() -> None:
    coupon = schemas.example("common/coupon.json")
    coupon["amount_off"] = {"amount": "two", "currency": "EUR"}
    assert _paths(schemas.validate("common/coupon.json", coupon)) == ["/amount_off/amount"]


def test_trigger_item_type_must_be_the_trigger_name() -> None:
    event = schemas.example("triggers/low_stock.output.json")
    event["type"] = "new_purchase"
    errors = schemas.validate("triggers/low_stock.output.json", event)
    assert errors == [{"path": "/type", "message": 'Event type (type) must be "low_stock".'}]


def test_inventory_count_may_not_be_negative() -> None:
    body = {"counts": [{"location_external_id": "kiosk-1012", "sku": "SAL-CAESAR", "quantity": -1}]}
    errors = schemas.validate("pos/inventory.input.json", body)
    assert errors == [
        {"path": "/counts/0/quantity", "message": "Quantity (counts[0].quantity) must be at least 0."}
    ]
