"""The HTTP API: one blueprint per area, registered in BLUEPRINTS."""

from __future__ import annotations

from flask import Blueprint

from hub.api.admin import blueprint as admin_blueprint
from hub.api.contracts import blueprint as contracts_blueprint
from hub.api.me import blueprint as me_blueprint
from hub.api.webhooks import blueprint as webhooks_blueprint

BLUEPRINTS: list[Blueprint] = [
    me_blueprint,
    admin_blueprint,
    webhooks_blueprint,
    contracts_blueprint,
]
