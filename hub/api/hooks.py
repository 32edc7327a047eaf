"""REST hooks: POST/GET /v1/hooks, DELETE /v1/hooks/<id>, deliveries and their replay."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import delete, func, select

from hub.api.triggers import LIMIT_PARAM, check_known_params, limit_param
from hub.auth import current_principal
from hub.endpoints import AUTOMATION, Endpoint
from hub.errors import ProblemError, not_found, validation_error
from hub.hooks.delivery import replay_dead
from hub.hooks.signing import new_secret
from hub.hooks.targets import UnsafeTarget, check_target
from hub.idempotency import idempotent
from hub.models import Connection, HookDelivery, HookSubscription, Hub, Location, new_id, utcnow
from hub.refs import iso
from hub.requests_json import validated_body
from hub.runtime import get_runtime

blueprint = Blueprint("hooks", __name__)

DELIVERY_STATUSES = ("pending", "in_progress", "succeeded", "dead")
_HOOK_ID = (("id", "The hook subscription's id, e.g. hook_2c3d4e5f6a7b8c9d."),)


def subscription_view(sub: HookSubscription, secret: str | None = None) -> dict[str, Any]:
    """A subscription as the API shows it; the secret only when it was just made."""
    view: dict[str, Any] = {"id": sub.id, "trigger": sub.trigger, "target_url": sub.target_url,
                            "filters": sub.filters or {}, "created_at": iso(sub.created_at)}
    if secret is not None:
        view["secret"] = secret
    return view


def delivery_view(row: HookDelivery) -> dict[str, Any]:
    """A hook delivery with its attempts and last error."""
    return {"id": row.id, "subscription_id": row.subscription_id, "event_id": row.event_id,
            "status": row.status, "attempts": row.attempts, "last_status_code": row.last_status_code,
            "last_error": row.last_error, "next_attempt_at": iso(row.next_attempt_at),
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at)}


def _check_filter_ids(session: Any, hub_id: str, filters: dict[str, str]) -> None:
    """422 when a filter names a location or connection this hub does not have."""
    errors = []
    for name, model in (("location_id", Location), ("connection_id", Connection)):
        if name in filters and session.scalar(
                select(model.id).where(model.id == filters[name], model.hub_id == hub_id)) is None:
            what = name.removesuffix("_id")
            errors.append({"path": f"/filters/{name}", "message": f"No {what} with this id in this hub."})
    if errors:
        raise validation_error(errors)


def _check_room(session: Any, hub_id: str, limit: int) -> None:
    """409 when the hub already has `limit` subscriptions.

    The hub row is locked first (FOR NO KEY UPDATE: rows that merely reference the hub are not
    held up), so concurrent subscribes count one after another and never pass the limit together;
    SQLite's single writer gives the same order.
    """
    session.execute(select(Hub.id).where(Hub.id == hub_id).with_for_update(key_share=True))
    count = session.scalar(select(func.count()).select_from(HookSubscription)
                           .where(HookSubscription.hub_id == hub_id))
    if count >= limit:
        raise ProblemError(409, f"This hub already has {count} hook subscriptions, its limit of {limit}. "
                           "Delete one it no longer needs (DELETE /v1/hooks/<id>; GET /v1/hooks lists them) "
                           "and subscribe again.", title="Hook subscription limit reached",
                           slug="hook-limit-reached")


def _subscription(session: Any, hook_id: str) -> HookSubscription:
    hub_id = current_principal().hub_id
    sub = session.scalar(select(HookSubscription).where(HookSubscription.id == hook_id,
                                                        HookSubscription.hub_id == hub_id))
    if sub is None:
        raise not_found("hook subscription")
    return sub


@blueprint.post("/v1/hooks")
@Endpoint(
    operation_id="subscribe_hook", summary="Subscribe to a trigger (REST hook)", tag="Hooks",
    description="Each new event of the trigger is POSTed to target_url, signed per Standard Webhooks. The "
    "answer carries the signing secret, shown only this once.",
    scopes=AUTOMATION, status=201, request="hooks/subscription.input.json",
    response="hooks/subscription.output.json", idempotent=True,
    response_description="The subscription, with its secret.",
)
def subscribe() -> Response:
    """Subscribe a target URL to a trigger; answers 201 with the signing secret (shown once).

    With an Idempotency-Key, a retry replays the first answer, secret included (as Stripe does):
    it goes to the same API key that sent the same key and body, which already saw it once; the
    stored answer keeps the secret encrypted.
    """
    body = validated_body("hooks/subscription.input.json")
    rt = get_runtime()
    try:
        check_target(body["target_url"], rt.settings.hook_allowed_hosts)
    except UnsafeTarget as exc:
        raise validation_error([{"path": "/target_url", "message": f"Target URL refused: {exc}."}]) from exc
    hub_id = current_principal().hub_id
    filters = body.get("filters") or {}
    with rt.db.session() as session:

        def produce() -> tuple[int, dict[str, Any]]:
            _check_filter_ids(session, hub_id, filters)
            _check_room(session, hub_id, rt.settings.max_hook_subscriptions)
            secret = new_secret()
            sub = HookSubscription(id=new_id("hook"), hub_id=hub_id, trigger=body["trigger"],
                                   target_url=body["target_url"], filters=filters,
                                   secret_encrypted=rt.vault.encrypt_json(secret), created_at=utcnow())
            session.add(sub)
            return 201, subscription_view(sub, secret)

        return idempotent(session, hub_id, produce, sealed=("secret",))


@blueprint.get("/v1/hooks")
@Endpoint(
    operation_id="list_hooks", summary="List hook subscriptions", tag="Hooks", scopes=AUTOMATION,
    description="The hub's REST hook subscriptions, newest first (without their secrets).",
    response="hooks/subscription.output.json", response_is_list=True, params=(LIMIT_PARAM,), errors=(422,),
)
def list_hooks() -> Response:
    """The hub's hook subscriptions, newest first (without secrets)."""
    check_known_params(("limit",))
    query = (select(HookSubscription).where(HookSubscription.hub_id == current_principal().hub_id)
             .order_by(HookSubscription.created_at.desc(), HookSubscription.id).limit(limit_param()))
    with get_runtime().db.session() as session:
        rows = session.scalars(query)
        return jsonify([subscription_view(sub) for sub in rows])


@blueprint.get("/v1/hooks/<id>")
@Endpoint(
    operation_id="get_hook", summary="Get a hook subscription", tag="Hooks", scopes=AUTOMATION,
    description="One REST hook subscription (without its secret).",
    response="hooks/subscription.output.json", path_params=_HOOK_ID, errors=(404,),
)
def get_hook(id: str) -> Response:
    """One hook subscription (without its secret)."""
    with get_runtime().db.session() as session:
        return jsonify(subscription_view(_subscription(session, id)))


@blueprint.delete("/v1/hooks/<id>")
@Endpoint(
    operation_id="unsubscribe_hook", summary="Unsubscribe a hook", tag="Hooks", scopes=AUTOMATION,
    description="Deletes the subscription; no more events are sent to it.", status=204,
    path_params=_HOOK_ID, errors=(404,), response_description="Deleted.",
)
def unsubscribe(id: str) -> tuple[str, int]:
    """Delete a subscription and its deliveries; nothing more is sent to it."""
    with get_runtime().db.session() as session:
        sub = _subscription(session, id)
        session.execute(delete(HookDelivery).where(HookDelivery.subscription_id == sub.id))
        session.execute(delete(HookSubscription).where(HookSubscription.id == sub.id))
    return "", 204


@blueprint.get("/v1/hooks/<id>/deliveries")
@Endpoint(
    operation_id="list_hook_deliveries", summary="List a hook's deliveries", tag="Hooks", scopes=AUTOMATION,
    description="The subscription's deliveries, newest first, including dead ones that can be replayed.",
    response="hooks/delivery.output.json", response_is_list=True, path_params=_HOOK_ID,
    params=(
        ("status", "hooks/delivery.output.json#/properties/status",
         "Only deliveries in this status, e.g. dead for the ones given up that can be replayed."),
        LIMIT_PARAM,
    ),
    errors=(404, 422),
)
def deliveries(id: str) -> Response:
    """The subscription's deliveries, newest first; status=dead lists its dead letters."""
    check_known_params(("status", "limit"))
    status = request.args.get("status")
    if status is not None and status not in DELIVERY_STATUSES:
        raise validation_error([{"path": "/status",
                                 "message": f"'status' must be one of: {', '.join(DELIVERY_STATUSES)}."}])
    limit = limit_param()
    with get_runtime().db.session() as session:
        sub = _subscription(session, id)
        query = select(HookDelivery).where(HookDelivery.subscription_id == sub.id,
                                           HookDelivery.hub_id == sub.hub_id)
        if status:
            query = query.where(HookDelivery.status == status)
        rows = session.scalars(query.order_by(HookDelivery.event_id.desc(), HookDelivery.id).limit(limit))
        return jsonify([delivery_view(row) for row in rows])


@blueprint.post("/v1/hooks/<id>/deliveries/<delivery_id>/replay")
@Endpoint(
    operation_id="replay_hook_delivery", summary="Replay a hook delivery", tag="Hooks", scopes=AUTOMATION,
    description="Sends the delivery's event again, with fresh retries.", status=202,
    response="hooks/delivery.output.json", idempotent=True,
    path_params=(*_HOOK_ID, ("delivery_id", "The delivery's id, e.g. hdl_4e5f6a7b8c9d0e1f.")),
    errors=(404,), response_description="The delivery, pending again.",
)
def replay(id: str, delivery_id: str) -> tuple[Response, int]:
    """Send a dead delivery again, with a fresh retry schedule; 202 with the delivery."""
    rt, now = get_runtime(), utcnow()
    with rt.db.session() as session:
        sub = _subscription(session, id)
        row = session.scalar(select(HookDelivery).where(HookDelivery.id == delivery_id,
                                                        HookDelivery.subscription_id == sub.id))
        if row is None:
            raise not_found("delivery")
        if not replay_dead(session, HookDelivery.id == row.id, now=now):
            raise ProblemError(409, f"Only dead deliveries can be replayed; this one is {row.status}.")
        session.refresh(row)
        return jsonify(delivery_view(row)), 202
