"""GET /healthz (liveness, no I/O) and GET /readyz (database, migrations, Redis) for load balancers."""

from alembic import command

from hub import create_app
from hub.migrate import alembic_config
from hub.runtime import get_runtime
from tests.conftest import make_settings


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


UNREACHABLE_DB = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1: refused at once


def test_healthz_stays_ok_while_the_database_is_unreachable():
    app = create_app(make_settings(UNREACHABLE_DB))
    assert app.test_client().get("/healthz").status_code == 200


def test_readyz_reports_each_check_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_readyz_is_503_problem_when_the_database_is_unreachable():
    app = create_app(make_settings(UNREACHABLE_DB))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["checks"]["database"].startswith("error")
    assert response.json["checks"]["migrations"].startswith("error")
    assert response.json["detail"] == "Not ready: database, migrations down."


def test_readyz_is_503_problem_when_migrations_are_behind(tmp_path):
    url = f"sqlite:///{tmp_path}/behind.db"
    command.upgrade(alembic_config(url), "0006")
    app = create_app(make_settings(url))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["migrations"].startswith("error: at 0006")
    assert response.json["detail"] == "Not ready: migrations down."


def test_readyz_is_503_problem_when_redis_is_unreachable(database_urls):
    app = create_app(make_settings(database_urls["sqlite"], redis_url="redis://127.0.0.1:1/0"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["checks"]["redis"].startswith("error")
    assert response.json["checks"]["database"] == "ok"


def test_health_probes_take_no_api_key_and_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json["paths"]
    assert paths["/healthz"]["get"]["security"] == []
    assert paths["/readyz"]["get"]["security"] == []
    assert "503" in paths["/readyz"]["get"]["responses"]
    assert get_runtime().settings.redis_url is None
