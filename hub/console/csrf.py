"""CSRF protection of every console POST, with Flask-WTF's signed tokens kept in the session."""

from __future__ import annotations

from flask import render_template, request
from flask_wtf.csrf import generate_csrf, validate_csrf
from markupsafe import Markup, escape
from wtforms.validators import ValidationError

from hub.console import console

FIELD_NAME = "csrf_token"


@console.app_template_global()
def csrf_field() -> Markup:
    """The hidden input every console form carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD_NAME, escape(generate_csrf()))


def csrf_problem() -> str | None:
    """Why this POST's CSRF token is refused, or None when it is valid (or the request is no POST)."""
    if request.method != "POST":
        return None
    try:
        validate_csrf(request.form.get(FIELD_NAME))
    except ValidationError as exc:
        return str(exc)
    return None


def check_csrf():  # noqa: ANN201
    """Before every console view: a POST without a valid token gets a 400 page saying so."""
    problem = csrf_problem()
    if problem is None:
        return None
    return render_template(
        "console/error.html", status=400, title="This form has expired",
        message="The form was sent without a valid security token (" + problem.rstrip(".") + "). "
        "Go back, reload the page and send it again.",
    ), 400
