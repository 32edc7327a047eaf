"""GET /healthz."""

from hub import create_app
from tests.conftest import make_settings


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok"}


def test_healthz_is_503_problem_when_redis_is_unreachable(database_urls):
    app = create_app(make_settings(database_urls["sqlite"], redis_url="redis://127.0.0.1:1/0"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["checks"]["redis"].startswith("error")
