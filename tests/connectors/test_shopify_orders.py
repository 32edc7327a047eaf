"""Specification of orders placed in Shopify for POS pickup, against the GraphQL Admin API mocked.

Every document sent is held to the documented Admin API types (the ``gql`` fixture); every recorded answer
used here is checked to be what Shopify's schema can answer to the document that asked for it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from graphql import graphql_sync

from hub.connectors.base import ConnectorError, ErrorKind, OrderData, OrderLineData, OrderRef, OrderRefused
from hub.connectors.shopify import queries
from tests.connectors import test_shopify
from tests.connectors.shopify_contract import admin_schema
from tests.connectors.test_shopify import FIXTURES, connector, fixture

# The Shopify tests' mocked Admin API, holding every document sent to the documented types.
gql = test_shopify.gql

ORDER_ID = "gid://shopify/Order/6100000001"
VARIANT = "gid://shopify/ProductVariant/45000000001"
CALCULATED = "gid://shopify/CalculatedOrder/7700000001"
REF = OrderRef(order_id="ord_1", pos_order_id=ORDER_ID, pos_state={"order_id": ORDER_ID})


def hub_order(**changes) -> OrderData:
    """Two Caesar salads with ranch for pickup at the Canal St store, paid at the till."""
    data = OrderData(
        order_id="ord_1", channel_order_id="WEB-1001", location_external_id="gid://shopify/Location/71234567890",
        lines=[OrderLineData(sku="SALAD-CAESAR", quantity=2, unit_price="8.95", line_total="17.90",
                             modifiers=[{"name": "Dressing", "option": "Ranch"}], note="no croutons")],
        total="17.90", currency="USD", payment_type="pay_at_pos", channel="web",
        pickup_at=datetime(2025, 5, 1, 12, 30, tzinfo=UTC),
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def prepaid() -> OrderData:
    return hub_order(payment_type="prepaid", payment_amount="17.90", payment_reference="pi_3Nabc")


def ready_to_create(gql, answer: str = "order_create.json") -> None:
    gql.on("OrderByTag", "order_by_tag_none.json")
    gql.on("VariantBySku", "variant_found.json")
    gql.on("OrderCreate", answer)


# ---- create ------------------------------------------------------------------------------------

def test_create_sends_lines_by_variant_with_modifiers_and_note_as_properties(gql):
    ready_to_create(gql)
    connector().create_order(hub_order(), "ord_1-v1-create")
    (line,) = gql.variables("OrderCreate")[0]["order"]["lineItems"]
    assert line == {"variantId": VARIANT, "quantity": 2, "properties": [
        {"name": "Dressing", "value": "Ranch"}, {"name": "Note", "value": "no croutons"}]}


def test_create_tags_the_order_and_carries_the_pickup_details(gql):
    ready_to_create(gql)
    connector().create_order(hub_order(), "k")
    sent = gql.variables("OrderCreate")[0]["order"]
    assert sent["sourceIdentifier"] == "WEB-1001" and "hub-order-ord_1" in sent["tags"]
    assert {"key": "Pickup at", "value": "2025-05-01T12:30:00Z"} in sent["customAttributes"]


def test_create_claims_stock_obeying_the_products_inventory_policy(gql):
    ready_to_create(gql)
    connector().create_order(hub_order(), "k")
    assert gql.variables("OrderCreate")[0]["options"]["inventoryBehaviour"] == "DECREMENT_OBEYING_POLICY"


def test_pay_at_pos_order_is_created_with_payment_pending_and_no_transaction(gql):
    ready_to_create(gql)
    placement = connector().create_order(hub_order(), "k")
    sent = gql.variables("OrderCreate")[0]["order"]
    assert sent["financialStatus"] == "PENDING" and "transactions" not in sent
    assert (placement.pos_order_id, placement.status) == (ORDER_ID, "sent")


def test_prepaid_order_is_created_paid_with_the_channels_transaction(gql):
    ready_to_create(gql)
    connector().create_order(prepaid(), "k")
    sent = gql.variables("OrderCreate")[0]["order"]
    assert sent["financialStatus"] == "PAID"
    assert sent["transactions"] == [{"kind": "SALE", "status": "SUCCESS", "gateway": "web",
                                     "amountSet": {"shopMoney": {"amount": "17.90", "currencyCode": "USD"}},
                                     "authorizationCode": "pi_3Nabc"}]


def test_a_retried_create_finds_the_order_its_first_attempt_made(gql):
    gql.on("OrderByTag", "order_by_tag_found.json")
    placement = connector().create_order(hub_order(), "k")
    assert gql.operations() == ["OrderByTag"] and placement.pos_order_id == ORDER_ID
    assert gql.variables("OrderByTag") == [{"query": "tag:'hub-order-ord_1'"}]


def test_unknown_sku_is_refused_before_anything_is_created(gql):
    gql.on("OrderByTag", "order_by_tag_none.json")
    gql.on("VariantBySku", "variant_none.json")
    with pytest.raises(OrderRefused) as err:
        connector().create_order(hub_order(), "k")
    assert "SALAD-CAESAR" in err.value.reason and "OrderCreate" not in gql.operations()


def test_out_of_stock_is_refused_with_shopifys_message(gql):
    ready_to_create(gql, "order_create_out_of_stock.json")
    with pytest.raises(OrderRefused) as err:
        connector().create_order(hub_order(), "k")
    assert "SALAD-CAESAR is out of stock" in err.value.reason
    assert err.value.vendor_code == "INVENTORY_CLAIM_FAILED"


def test_shopify_internal_error_is_transient_not_a_refusal(gql):
    gql.on("OrderByTag", "order_by_tag_none.json")
    gql.on("VariantBySku", "variant_found.json")
    gql.on("OrderCreate", "error_internal.json", status=500)
    with pytest.raises(ConnectorError) as err:
        connector().create_order(hub_order(), "k")
    assert err.value.kind is ErrorKind.TRANSIENT and not isinstance(err.value, OrderRefused)


def test_throttling_is_rate_limited_as_the_connector_maps_it(gql):
    gql.on("OrderByTag", "error_throttled.json")
    with pytest.raises(ConnectorError) as err:
        connector().create_order(hub_order(), "k")
    assert err.value.kind is ErrorKind.RATE_LIMITED and err.value.retry_after


# ---- status --------------------------------------------------------------------------------------

EXPECTED = {
    "gid://shopify/Order/6100000001": ("sent", None),
    "gid://shopify/Order/6100000002": ("accepted", None),
    "gid://shopify/Order/6100000003": ("completed", None),
    "gid://shopify/Order/6100000004": ("cancelled", "cancelled in Shopify (customer)"),
    "gid://shopify/Order/6100000005": ("rejected", "cancelled in Shopify (inventory)"),
    "gid://shopify/Order/6100000006": ("rejected", "the fulfillment request was declined in Shopify"),
}


def test_statuses_follow_the_cancel_and_fulfillment_table(gql):
    gql.on("OrderStatuses", "order_statuses.json")
    refs = [OrderRef(order_id=f"o{i}", pos_order_id=pos_id) for i, pos_id in enumerate(EXPECTED)]
    reports = connector().fetch_order_statuses(refs)
    assert {r.pos_order_id: (r.status, r.reason) for r in reports} == EXPECTED


# ---- update and cancel ---------------------------------------------------------------------------

def test_update_edits_quantities_and_adds_new_variants_then_commits(gql):
    gql.on("OrderStatuses", "order_status_open.json")
    gql.on("VariantBySku", "variant_found.json", "variant_found.json")
    gql.on("OrderEditBegin", "order_edit_begin.json")
    gql.on("OrderEditSetQuantity", "order_edit_set_quantity.json")
    gql.on("OrderEditAddVariant", "order_edit_add_variant.json")
    gql.on("OrderEditCommit", "order_edit_commit.json")
    soup = OrderLineData("gid://shopify/ProductVariant/45000000009", 1, "6.50", "6.50")
    found_soup = fixture("variant_found.json")
    found_soup["data"]["productVariants"]["nodes"][0].update(id=soup.sku, sku=None)
    gql.queue["VariantBySku"][1] = (200, {}, found_soup)
    changed = hub_order(version=2, lines=[OrderLineData("SALAD-CAESAR", 3, "8.95", "26.85"), soup])
    placement = connector().update_order(changed, REF, "ord_1-v2-update")
    assert gql.variables("OrderEditSetQuantity") == [
        {"id": CALCULATED, "lineItemId": "gid://shopify/CalculatedLineItem/8800000001", "quantity": 3}]
    assert gql.variables("OrderEditAddVariant") == [{"id": CALCULATED, "variantId": soup.sku, "quantity": 1}]
    assert gql.operations()[-1] == "OrderEditCommit" and placement.status == "sent"


def test_update_is_refused_once_the_store_has_started(gql):
    gql.on("OrderStatuses", "order_status_in_progress.json")
    with pytest.raises(OrderRefused) as err:
        connector().update_order(hub_order(version=2), REF, "k")
    assert "accepted in Shopify" in err.value.reason
    assert "OrderEditBegin" not in gql.operations()


def test_cancel_cancels_with_restock_and_without_refund(gql):
    gql.on("OrderStatuses", "order_status_open.json")
    gql.on("OrderCancel", "order_cancel.json")
    placement = connector().cancel_order(hub_order(), REF, "customer called", "ord_1-v1-cancel")
    assert gql.variables("OrderCancel") == [{"orderId": ORDER_ID, "reason": "CUSTOMER",
                                              "staffNote": "customer called"}]
    document = gql.document("OrderCancel")
    assert "restock: true" in document and "originalPaymentMethodsRefund: false" in document
    assert placement.status == "cancelled"


def test_cancel_refused_by_shopify_is_an_order_refusal_with_its_message(gql):
    gql.on("OrderStatuses", "order_status_open.json")
    gql.on("OrderCancel", "order_cancel_user_errors.json")
    with pytest.raises(OrderRefused) as err:
        connector().cancel_order(hub_order(), REF, None, "k")
    assert "Cannot cancel an order that has active returns" in err.value.reason


def test_cancel_of_a_fulfilled_order_is_refused(gql):
    gql.on("OrderStatuses", "order_status_fulfilled.json")
    with pytest.raises(OrderRefused):
        connector().cancel_order(hub_order(), REF, None, "k")
    assert "OrderCancel" not in gql.operations()


# ---- webhooks ------------------------------------------------------------------------------------

def test_orders_cancelled_webhook_reports_the_order_cancelled():
    body = (FIXTURES / "webhook_orders_cancelled.json").read_bytes()
    hint = connector().parse_callback({"X-Shopify-Topic": "orders/cancelled"}, body)
    assert [(r.pos_order_id, r.status) for r in hint.order_statuses] == [(ORDER_ID, "cancelled")]
    assert hint.poll_now is True


def test_other_topics_carry_no_order_status():
    body = (FIXTURES / "webhook_orders_create.json").read_bytes()
    assert connector().parse_callback({"X-Shopify-Topic": "orders/create"}, body).order_statuses == []


# ---- the recorded answers are what Shopify's schema answers --------------------------------------

ANSWERS = [
    ("ORDER_BY_TAG", "order_by_tag_none.json"), ("ORDER_BY_TAG", "order_by_tag_found.json"),
    ("ORDER_CREATE", "order_create.json"), ("ORDER_CREATE", "order_create_out_of_stock.json"),
    ("ORDER_STATUSES", "order_statuses.json"), ("ORDER_STATUSES", "order_status_open.json"),
    ("ORDER_STATUSES", "order_status_in_progress.json"), ("ORDER_STATUSES", "order_status_fulfilled.json"),
    ("ORDER_EDIT_BEGIN", "order_edit_begin.json"),
    ("ORDER_EDIT_SET_QUANTITY", "order_edit_set_quantity.json"),
    ("ORDER_EDIT_ADD_VARIANT", "order_edit_add_variant.json"),
    ("ORDER_EDIT_COMMIT", "order_edit_commit.json"),
    ("ORDER_CANCEL", "order_cancel.json"), ("ORDER_CANCEL", "order_cancel_user_errors.json"),
]


@pytest.mark.parametrize(("document", "name"), ANSWERS)
def test_recorded_answer_is_what_the_admin_schema_answers_to_the_document(document, name):
    data = fixture(name)["data"]
    result = graphql_sync(admin_schema(), getattr(queries, document), root_value=data,
                          variable_values=_placeholder_variables(document))
    assert result.errors is None
    assert json.loads(json.dumps(result.data)) == data


def _placeholder_variables(document: str) -> dict:
    """Variables of the right types: the answer is checked, not the request."""
    values = {"ORDER_BY_TAG": {"query": "tag:x"}, "ORDER_STATUSES": {"ids": [ORDER_ID]},
              "ORDER_CREATE": {"order": {}}, "ORDER_EDIT_BEGIN": {"id": ORDER_ID},
              "ORDER_EDIT_SET_QUANTITY": {"id": CALCULATED, "lineItemId": "x", "quantity": 1},
              "ORDER_EDIT_ADD_VARIANT": {"id": CALCULATED, "variantId": VARIANT, "quantity": 1},
              "ORDER_EDIT_COMMIT": {"id": CALCULATED},
              "ORDER_CANCEL": {"orderId": ORDER_ID, "reason": "OTHER"}}
    return values[document]
