"""Who is signed in to the console: operators (argon2id passwords) or a hub's own admin key.

An operator sees every hub; a hub admin key signs in to its own hub only (any other hub is a 404).
The session keeps the actor and a version checked on every request, so a disabled operator, a
changed password or a revoked key signs the session out at once. Failed sign-ins are limited per
account and per client address with the `limits` library (shared through Redis when configured).
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import abort, flash, g, redirect, render_template, request, session, url_for
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.console import console
from hub.console.session import LIFETIME
from hub.keys import KeyRefused, authenticate, check_key_use, principal_of
from hub.models import ApiKey, Hub, Operator, utcnow
from hub.ratelimit import redis_storage
from hub.runtime import get_runtime

log = logging.getLogger(__name__)

_hasher = PasswordHasher()  # argon2id with argon2-cffi's recommended parameters
# A hash to verify against when the account does not exist, so the answer takes as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 12

# At most ACCOUNT_LIMIT failed sign-ins per account and ADDRESS_LIMIT per client address in any
# LIMIT_MINUTES minutes; past them sign-in is refused (429) until the oldest failure ages out.
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
LIMIT_MINUTES = 15


class OperatorError(ValueError):
    """An operator account cannot be created or changed as asked."""


@dataclass(frozen=True)
class Actor:
    """The signed-in user: an operator (every hub) or a hub admin key (hub_id: that hub only)."""

    kind: str  # "operator" | "hub_admin"
    id: str  # the operator's or the key's id
    label: str  # what the page shows: an email, or "Admin key <prefix>… of <hub name>"
    hub_id: str | None = None

    @property
    def is_operator(self) -> bool:
        """True for an operator account."""
        return self.kind == "operator"


# ---- passwords and operator accounts (used by the CLI and the demo too) ----


def generate_password() -> str:
    """A new random password (about 120 bits), shown once."""
    return secrets.token_urlsafe(15)


def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return _hasher.hash(password)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperatorError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def find_operator(session: Session, email: str) -> Operator | None:
    """The operator with this email, or None."""
    return session.scalar(select(Operator).where(Operator.email == normalize_email(email)))


def create_operator(session: Session, email: str, password: str) -> Operator:
    """A new operator account; OperatorError when the email is taken or invalid, or the password short."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise OperatorError(f"{email!r} is not an email address")
    if find_operator(session, email) is not None:
        raise OperatorError(f"an operator {email} already exists")
    _check_password(password)
    operator = Operator(email=email, password_hash=hash_password(password), session_version=1)
    session.add(operator)
    session.flush()
    return operator


def set_operator_password(session: Session, email: str, password: str) -> Operator:
    """Set a new password (and enable the account); its sessions are signed out."""
    operator = find_operator(session, email)
    if operator is None:
        raise OperatorError(f"no operator {normalize_email(email)}")
    _check_password(password)
    operator.password_hash = hash_password(password)
    operator.disabled_at = None
    operator.session_version += 1
    session.flush()
    return operator


def disable_operator(session: Session, email: str) -> Operator:
    """Disable an account: it can no longer sign in and its sessions end at once."""
    operator = find_operator(session, email)
    if operator is None:
        raise OperatorError(f"no operator {normalize_email(email)}")
    operator.disabled_at = utcnow()
    operator.session_version += 1
    session.flush()
    return operator


def verify_operator(session: Session, email: str, password: str) -> Operator | None:
    """The enabled operator when the password matches, else None (in about the same time either way)."""
    operator = find_operator(session, email)
    try:
        _hasher.verify(operator.password_hash if operator else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if operator is None or operator.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = hash_password(password)
    operator.last_sign_in_at = utcnow()
    return operator


# ---- limits on failed sign-ins ----


class _SignInLimiter:
    """Counts failed sign-ins in a moving window, in Redis when configured (memory if Redis fails)."""

    def __init__(self) -> None:
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared: dict[str, MovingWindowRateLimiter] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget the failures counted in this process (tests; Redis counts are left alone)."""
        self._local = MovingWindowRateLimiter(MemoryStorage())

    def _limiter(self) -> MovingWindowRateLimiter:
        url = get_runtime().settings.redis_url
        if not url:
            return self._local
        with self._lock:
            if url not in self._shared:
                self._shared[url] = MovingWindowRateLimiter(redis_storage(url))
            return self._shared[url]

    def _run(self, fn: Callable[[MovingWindowRateLimiter], Any]) -> Any:
        limiter = self._limiter()
        try:
            return fn(limiter)
        except RedisError as exc:
            log.warning("Sign-in limits are counted in this process until Redis answers: %s", exc)
            return fn(self._local)

    def wait_seconds(self, keys: list[tuple[str, int]]) -> int | None:
        """None when every key may still try; else the seconds until the most-limited one may."""
        waits = []
        for key, limit in keys:
            item = RateLimitItemPerMinute(limit, LIMIT_MINUTES)
            if not self._run(lambda lim, item=item, key=key: lim.test(item, key)):
                reset = self._run(lambda lim, item=item, key=key: lim.get_window_stats(item, key).reset_time)
                waits.append(max(1, math.ceil(reset - time.time())))
        return max(waits) if waits else None

    def fail(self, keys: list[tuple[str, int]]) -> None:
        """Count one failed attempt against every key."""
        for key, limit in keys:
            item = RateLimitItemPerMinute(limit, LIMIT_MINUTES)
            self._run(lambda lim, item=item, key=key: lim.hit(item, key))


sign_in_limiter = _SignInLimiter()


def _limit_keys(account: str) -> list[tuple[str, int]]:
    return [(f"console-login:account:{account}", ACCOUNT_LIMIT),
            (f"console-login:address:{request.remote_addr or 'unknown'}", ADDRESS_LIMIT)]


def _account_of(form: dict[str, str]) -> str:
    """What a failed attempt counts against: the email, or the admin key's public prefix."""
    if form.get("method") == "key":
        parts = form.get("key", "").strip().split("_")
        return "key:" + (parts[1] if len(parts) == 3 else "malformed")
    return "operator:" + normalize_email(form.get("email", ""))


# ---- the session ----


def _sign_in(actor_kind: str, actor_id: str, version: int) -> None:
    session.clear()  # a new session on sign-in (no fixation)
    session.permanent = True
    session["actor"] = {"kind": actor_kind, "id": actor_id, "ver": version, "at": int(time.time())}


def _key_version(key: ApiKey) -> int:
    return int(key.created_at.timestamp())


def _load_actor(db_session: Session) -> Actor | None:
    """The session's actor while its account or key is still valid, else None."""
    stored = session.get("actor")
    if not isinstance(stored, dict):
        return None
    kind, actor_id, version = stored.get("kind"), stored.get("id"), stored.get("ver")
    # 8 hours from sign-in, however active the session (the cookie itself is renewed on each request).
    if not isinstance(stored.get("at"), int) or time.time() - stored["at"] > LIFETIME.total_seconds():
        return None
    if kind == "operator":
        operator = db_session.get(Operator, actor_id)
        if operator is None or operator.disabled_at is not None or operator.session_version != version:
            return None
        return Actor("operator", operator.id, operator.email)
    if kind == "hub_admin":
        key = db_session.get(ApiKey, actor_id)
        if key is None or key.revoked_at is not None or key.scope != "admin" or _key_version(key) != version:
            return None
        try:
            # An expired key, or one used from outside its networks, signs its session out too.
            check_key_use(principal_of(key), request.remote_addr)
        except KeyRefused:
            return None
        hub = db_session.get(Hub, key.hub_id)
        return Actor("hub_admin", key.id, f"Admin key {key.prefix[:6]}… of {hub.name if hub else key.hub_id}",
                     key.hub_id)
    return None


def current_actor() -> Actor | None:
    """The signed-in actor of this request (None on the sign-in page when signed out)."""
    return g.get("console_actor")


@console.app_template_global("current_actor")
def _current_actor_global() -> Actor | None:
    return current_actor()


_PUBLIC_ENDPOINTS = {"console.login", "console.static"}


def require_sign_in():  # noqa: ANN201
    """Every console page needs a signed-in actor; the session is checked against the database."""
    g.console_actor = None
    if "actor" in session:
        with get_runtime().db.session() as db_session:
            g.console_actor = _load_actor(db_session)
        if g.console_actor is None:
            session.clear()
            if request.endpoint not in _PUBLIC_ENDPOINTS:
                flash("You have been signed out: the account or key is no longer valid. "
                      "Please sign in again.", "warning")
    if g.console_actor is None and request.endpoint not in _PUBLIC_ENDPOINTS:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("console.login", next=target))
    return None


F = TypeVar("F", bound=Callable[..., Any])


def login_required(view: F) -> F:
    """Mark a view as needing sign-in (the blueprint checks every view; this makes it explicit)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_actor() is None:
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def hub_or_404(db_session: Session, hub_id: str) -> Hub:
    """The hub if the signed-in actor may see it; 404 otherwise (an admin key sees its own hub only)."""
    actor = current_actor()
    if actor is None or (actor.hub_id is not None and actor.hub_id != hub_id):
        abort(404)
    hub = db_session.get(Hub, hub_id)
    if hub is None:
        abort(404)
    return hub


def visible_hubs_filter(stmt: Any) -> Any:
    """Restrict a select of hubs to those the actor sees."""
    actor = current_actor()
    if actor is not None and actor.hub_id is not None:
        return stmt.where(Hub.id == actor.hub_id)
    return stmt


def _safe_next(target: str | None) -> str:
    """Only a path inside the console (no other host) is followed after sign-in."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/console") and "\\" not in target:
            return target.rstrip("?")
    return url_for("console.hubs")


def _home_for(actor_kind: str, hub_id: str | None) -> str:
    if actor_kind == "hub_admin" and hub_id:
        return url_for("console.hub_overview", hub_id=hub_id)
    return url_for("console.hubs")


@console.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    """Sign in with an operator's email and password, or with a hub admin key."""
    if request.method == "GET":
        if current_actor() is not None:
            return redirect(url_for("console.hubs"))
        return render_template("console/login.html", method=request.args.get("method", "operator"), form={},
                               error=None, next=request.args.get("next", ""))
    form = {k: request.form.get(k, "") for k in ("method", "email", "key", "next")}
    keys = _limit_keys(_account_of(form))
    wait = sign_in_limiter.wait_seconds(keys)
    if wait is not None:
        minutes = math.ceil(wait / 60)
        when = f"{wait} seconds" if wait < 120 else f"{minutes} minutes"
        return render_template(
            "console/error.html", status=429, title="Too many sign-in attempts",
            message=f"There were too many failed sign-in attempts for this account or from this address. "
            f"Try again in {when}. If you forgot the password, ask an administrator to reset it with "
            f"`python -m hub set-operator-password EMAIL`.",
        ), 429, {"Retry-After": str(wait)}
    with get_runtime().db.session() as db_session:
        if form["method"] == "key":
            principal = authenticate(db_session, form["key"], address=request.remote_addr)
            if principal is not None and principal.scope == "admin":
                key = db_session.get(ApiKey, principal.key_id)
                _sign_in("hub_admin", key.id, _key_version(key))
                home = _home_for("hub_admin", key.hub_id)
                return redirect(_safe_next(form["next"]) if form["next"] else home)
            error = "This key is not a valid admin key. Use a key with the admin scope of your hub."
        else:
            operator = verify_operator(db_session, form["email"], request.form.get("password", ""))
            if operator is not None:
                _sign_in("operator", operator.id, operator.session_version)
                return redirect(_safe_next(form["next"]))
            error = "The email or password is wrong, or the account is disabled."
    sign_in_limiter.fail(keys)
    return render_template("console/login.html", method=form["method"] or "operator", form=form, error=error,
                           next=form["next"]), 401


@console.route("/logout", methods=["POST"])
def logout():  # noqa: ANN201
    """Sign out (a POST with the CSRF token, so no other site can sign you out)."""
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("console.login"))


def operator_count(db_session: Session) -> int:
    """How many operator accounts exist."""
    return db_session.scalar(select(func.count()).select_from(Operator)) or 0
