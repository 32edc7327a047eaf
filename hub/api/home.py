"""GET /: what this service is and where to start, as a small page for a browser or JSON for a client."""

from __future__ import annotations

from html import escape
from typing import Any

from flask import Blueprint, Response, jsonify, request

from hub.endpoints import Endpoint

blueprint = Blueprint("home", __name__)

ABOUT = ("A POS connector hub: it keeps a food company's menu and coupons, pushes them to every point of "
         "sale, learns purchases, stock and online status from them, and offers it all to Zapier and n8n "
         "as triggers and actions.")
# (name, path, what it is): the links of the page and of the JSON answer.
LINKS = (
    ("console", "/console", "The support console (sign in with the operator `make run` printed)."),
    ("openapi", "/openapi.json", "The OpenAPI 3.1 description of the API."),
    ("contracts", "/v1/contracts",
     "Every trigger and action with its JSON Schemas and a sample (needs an API key)."),
    ("health", "/healthz", "Liveness: 200 while the database answers."),
)
# The README's Quick start, as a newcomer follows it after `make run`.
FIRST_STEPS = (
    "make run  # creates .venv, migrates var/hub.db, creates the demo hub, serves :8000; prints a key",
    "curl -H 'Authorization: Bearer <the printed key>' {base}/v1/me",
    "Sell a meal at the demo sandbox: the console's connection page, or "
    "python -m hub simulate --connection <sandbox id> --action sell --sku SAL-CAESAR",
    "curl -H 'Authorization: Bearer <the printed key>' {base}/v1/triggers/new_purchase",
)

_RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "links": {"type": "object", "additionalProperties": {
            "type": "object", "properties": {"href": {"type": "string"}, "title": {"type": "string"}},
            "required": ["href", "title"]}},
        "first_steps": {"type": "array", "items": {"type": "string"}},
        "readme": {"type": "string"},
    },
    "required": ["name", "description", "links", "first_steps"],
}


def wants_html() -> bool:
    """True when the client prefers an HTML page (a browser) to JSON; JSON for */* or no Accept."""
    accept = request.accept_mimetypes
    return accept["text/html"] > accept["application/json"]


def _home(base: str) -> dict[str, Any]:
    return {
        "name": "POS connector hub",
        "description": ABOUT,
        "links": {name: {"href": f"{base}{path}", "title": title} for name, path, title in LINKS},
        "first_steps": [step.format(base=base) for step in FIRST_STEPS],
        "readme": "README.md of the repository, section Quick start",
    }


def _page(home: dict[str, Any]) -> str:
    links = "".join(f'<li><a href="{escape(link["href"])}">{escape(link["href"])}</a>: '
                    f'{escape(link["title"])}</li>' for link in home["links"].values())
    steps = "".join(f"<li><code>{escape(step)}</code></li>" for step in home["first_steps"])
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(home["name"])}</title>'
        "<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.5}code{background:#f3f3f3;padding:0 .2rem;word-break:break-all}</style></head><body>"
        f'<h1>{escape(home["name"])}</h1><p>{escape(home["description"])}</p>'
        f"<h2>Where to go</h2><ul>{links}</ul>"
        f"<h2>First steps</h2><p>From the {escape(home['readme'])}:</p><ol>{steps}</ol>"
        "</body></html>"
    )


@blueprint.get("/")
@Endpoint(
    operation_id="home", summary="What this service is", tag="Health", scopes=(),
    description="What this hub is and where to start: the console, this API's OpenAPI document, the "
                "contracts and the first steps. A browser (Accept: text/html) gets the same as a small page.",
    response_description="The hub's links and first steps.", inline_response=_RESPONSE_SCHEMA,
)
def home() -> Response:
    """JSON for API clients, a small HTML page for a browser."""
    content = _home(request.host_url.rstrip("/"))
    if wants_html():
        response = Response(_page(content), mimetype="text/html")
    else:
        response = jsonify(content)
    response.vary.add("Accept")
    return response
