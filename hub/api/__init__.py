"""The HTTP API: one blueprint per area, registered in BLUEPRINTS."""

from __future__ import annotations

from flask import Blueprint

from hub.api.actions import blueprint as actions_blueprint
from hub.api.admin import blueprint as admin_blueprint
from hub.api.contracts import blueprint as contracts_blueprint
from hub.api.health import blueprint as health_blueprint
from hub.api.home import blueprint as home_blueprint
from hub.api.hooks import blueprint as hooks_blueprint
from hub.api.lookups import blueprint as lookups_blueprint
from hub.api.me import blueprint as me_blueprint
from hub.api.orders import blueprint as orders_blueprint
from hub.api.pos import blueprint as pos_blueprint
from hub.api.pos_orders import blueprint as pos_orders_blueprint
from hub.api.quarantine import blueprint as quarantine_blueprint
from hub.api.triggers import blueprint as triggers_blueprint
from hub.api.webhooks import blueprint as webhooks_blueprint

# In the order /openapi.json lists their operations and tags (hub.openapi adds its own route last).
BLUEPRINTS: list[Blueprint] = [
    home_blueprint,
    health_blueprint,
    me_blueprint,
    contracts_blueprint,
    triggers_blueprint,
    hooks_blueprint,
    actions_blueprint,
    orders_blueprint,
    lookups_blueprint,
    pos_blueprint,
    pos_orders_blueprint,
    webhooks_blueprint,
    admin_blueprint,
    quarantine_blueprint,
]
