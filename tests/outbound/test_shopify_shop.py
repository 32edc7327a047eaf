"""Shopify's shop setting names a <name>.myshopify.com store, or a host of HUB_OUTBOUND_ALLOWED_HOSTS."""

from __future__ import annotations

import pytest

from hub.connectors.base import ConnectorError, ErrorKind
from hub.connectors.shopify import ShopifyConnector

TOKEN = {"access_token": "shpat_secret"}


@pytest.mark.parametrize("shop", ["127.0.0.1:8080", "169.254.169.254", "acme.myshopify.com.evil.test",
                                  "acme.myshopify.com:8443", "acme.myshopify.com@evil.test"])
def test_a_shop_on_another_host_is_refused_when_the_connection_is_added(admin, shop):
    response = admin().add("shopify", {"shop": shop}, TOKEN)

    assert response.status_code == 422
    assert "settings/shop" in response.json["detail"]


@pytest.mark.parametrize("shop", ["acme-foods", "acme-foods.myshopify.com", "https://Acme-Foods.myshopify.com/"])
def test_a_myshopify_store_is_accepted(admin, shop):
    assert admin().add("shopify", {"shop": shop}, TOKEN).status_code == 201


def test_an_allow_listed_shop_host_is_accepted(admin):
    assert admin("127.0.0.1").add("shopify", {"shop": "127.0.0.1:8080"}, TOKEN).status_code == 201


def test_a_stored_shop_on_another_host_is_refused_at_call_time():
    connector = ShopifyConnector({"shop": "127.0.0.1:8080"}, TOKEN)

    with pytest.raises(ConnectorError) as caught:
        connector.test_connection()

    assert caught.value.kind is ErrorKind.PERMANENT
    assert "myshopify.com" in caught.value.message
