"""The contract check that every Square test's requests pass: it refuses what Square's OpenAPI refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.connectors.square_contract import SPEC_FILE, problems
from tests.fixtures.square.trim_openapi import trim

UPSERT = "https://connect.squareup.com/v2/catalog/batch-upsert"
REFERENCE = Path("/work/shared/reference/square-openapi.json")


def upsert(obj: dict) -> str:
    return json.dumps({"idempotency_key": "k", "batches": [{"objects": [obj]}]})


def variation(**data) -> dict:
    return {"type": "ITEM_VARIATION", "id": "#v", "item_variation_data": {"item_id": "#i", **data}}


def test_a_valid_batch_upsert_passes():
    assert problems("POST", UPSERT, upsert(variation(price_money={"amount": 100, "currency": "USD"}))) == []


def test_a_read_only_property_is_refused():
    sold_out = variation(location_overrides=[{"location_id": "L1", "sold_out": True}])
    (found,) = problems("POST", UPSERT, upsert(sold_out))
    assert "location_overrides/0/sold_out" in found and "read-only" in found


def test_an_unknown_property_is_refused():
    (found,) = problems("POST", UPSERT, upsert(variation(available=False)))
    assert "'available' was unexpected" in found


def test_a_missing_required_property_is_refused():
    (found,) = problems("POST", UPSERT, json.dumps({"batches": []}))
    assert "'idempotency_key' is a required property" in found


def test_an_unknown_enum_value_is_refused():
    assert problems("POST", UPSERT, upsert({"type": "COUPON", "id": "#c"}))


def test_an_undeclared_query_parameter_is_refused():
    (found,) = problems("GET", "https://connect.squareup.com/v2/devices?page=2", None)
    assert "query page" in found


def test_an_operation_square_does_not_have_is_refused():
    assert problems("POST", "https://connect.squareup.com/v2/catalog/upsert-everything", "{}")


@pytest.mark.skipif(not REFERENCE.exists(), reason="Square's full OpenAPI document is not on this machine")
def test_the_trimmed_spec_is_what_the_generator_makes_of_squares_document():
    generated = trim(json.loads(REFERENCE.read_text()))
    assert json.loads(SPEC_FILE.read_text()) == generated
