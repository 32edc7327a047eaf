"""The since_id cursor walks forward: each page holds the oldest events after it, so no backlog is skipped."""

PAGE = 500  # the hub's maximum limit, what the n8n node asks for


def sale(external_id, location="fridge-1"):
    """A purchase as a POS posts it."""
    line = {"sku": "SAL-CAESAR", "quantity": 1, "unit_price": "6.50"}
    return {"external_id": external_id, "location_external_id": location,
            "occurred_at": "2026-01-05T12:00:00Z", "lines": [line], "currency": "EUR"}


def post_purchases(client, tenant, sales):
    """Post purchases through the POS endpoint in batches of its maximum size."""
    for start in range(0, len(sales), PAGE):
        batch = {"purchases": sales[start:start + PAGE]}
        response = client.post("/v1/pos/purchases", json=batch, headers=tenant.auth("pos"))
        assert response.status_code == 200, response.get_json()


def page(client, tenant, **params):
    """One GET of the new_purchase trigger."""
    response = client.get("/v1/triggers/new_purchase", query_string=params, headers=tenant.auth())
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def walk(client, tenant, cursor, limit=PAGE, **filters):
    """Every item after the cursor, oldest first, paged as the n8n node pages: since_id = highest id yet."""
    seen = []
    while True:
        items = page(client, tenant, since_id=cursor, limit=limit, **filters)
        seen.extend(reversed(items))
        if len(items) < limit:
            return seen
        cursor = max(item["id"] for item in items)


def newest_id(client, tenant):
    """The cursor an activation takes: the newest event's id, or 0."""
    newest = page(client, tenant, limit=1)
    return newest[0]["id"] if newest else 0


def test_since_id_answers_the_oldest_events_after_it_newest_first(client, tenant):
    post_purchases(client, tenant, [sale(f"T-{n}") for n in range(1, 6)])
    cursor = page(client, tenant)[-1]["id"]
    items = page(client, tenant, since_id=cursor, limit=2)
    assert [i["external_id"] for i in items] == ["T-3", "T-2"]


def test_since_id_with_before_id_answers_the_newest_events_between_them(client, tenant):
    post_purchases(client, tenant, [sale(f"T-{n}") for n in range(1, 6)])
    ids = [i["id"] for i in page(client, tenant)]
    items = page(client, tenant, since_id=ids[-1], before_id=ids[0], limit=2)
    assert [i["external_id"] for i in items] == ["T-4", "T-3"]


def test_a_cursor_walk_over_a_backlog_of_several_pages_sees_every_event_once_in_order(
        backend_client, backend_tenant):
    post_purchases(backend_client, backend_tenant, [sale("BEFORE")])
    cursor = newest_id(backend_client, backend_tenant)
    backlog = [f"T-{n}" for n in range(2 * PAGE + 234)]
    post_purchases(backend_client, backend_tenant, [sale(external_id) for external_id in backlog])
    seen = walk(backend_client, backend_tenant, cursor)
    assert [i["external_id"] for i in seen] == backlog
    ids = [i["id"] for i in seen]
    assert ids == sorted(set(ids)) and ids[0] > cursor


def test_a_filtered_cursor_walk_sees_every_matching_event_once_in_order(client, tenant):
    sales = [sale(f"T-{n}", location=f"fridge-{1 + n % 2}") for n in range(130)]
    post_purchases(client, tenant, sales)
    seen = walk(client, tenant, 0, limit=20, location_id=tenant.location_ids[1])
    at_fridge_2 = [s["external_id"] for s in sales if s["location_external_id"] == "fridge-2"]
    assert [i["external_id"] for i in seen] == at_fridge_2


def test_the_openapi_since_id_parameter_says_pages_hold_the_oldest_events_after_it(client):
    operation = client.get("/openapi.json").get_json()["paths"]["/v1/triggers/new_purchase"]["get"]
    since_id = next(p for p in operation["parameters"] if p.get("name") == "since_id")
    assert "oldest" in since_id["description"] and "caught up" in since_id["description"]
