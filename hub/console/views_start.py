"""The console's "first Zap / first n8n workflow" panel: the hub's URL, which key to create, the steps."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from hub.console import console
from hub.console.auth import hub_or_404, login_required
from hub.models import ApiKey
from hub.runtime import get_runtime

N8N_PACKAGE = "n8n-nodes-pos-hub"


@console.get("/hubs/<hub_id>/first-steps")
@login_required
def first_steps(hub_id: str) -> str:
    """How to connect Zapier or n8n to this hub, with its public URL and a curl to check a key."""
    rt = get_runtime()
    with rt.db.session() as s:
        hub = hub_or_404(s, hub_id)
        automation_keys = s.scalar(select(func.count()).select_from(ApiKey).where(
            ApiKey.hub_id == hub_id, ApiKey.scope == "automation", ApiKey.revoked_at.is_(None))) or 0
        return render_template("console/first_steps.html", hub=hub, base_url=rt.settings.base_url.rstrip("/"),
                               automation_keys=automation_keys, n8n_package=N8N_PACKAGE)
