"""The support console in a real browser (headless Chromium): the onboarding walk of issue 15 as support
staff do it, one step per test, in order, in one signed-in browser context.

Sign in, create a hub, connect a sandbox POS through its generated form, test it, add a location, issue an
automation key, subscribe a REST hook (as a Zap would, with that key) to a receiver that is broken,
simulate a sale and see it arrive, let the hook's delivery go dead, fix the receiver and replay the dead
letter. Around the walk: a signed-out visitor is sent to sign in, a POST without the CSRF token is refused,
the sign-in form works with the keyboard alone, and the overview fits a laptop and a phone.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from datetime import timedelta
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
from sqlalchemy import select

from hub.hooks.delivery import deliver
from hub.hooks.kind import HOOK_DELIVERIES
from hub.models import HookDelivery, utcnow
from hub.runtime import get_runtime
from tests.conftest import make_settings
from tests.console.browser import ROOT, LiveServer, chromium_or_fail, create_operator
from tests.test_hooks_delivery import Receiver

EMAIL = "support@example.com"
PASSWORD = "correct horse battery staple " + secrets.token_hex(4)
# Every run saves the overview under var/ (ignored by git); the README's copy in docs/ is replaced only
# when asked (HUB_UPDATE_SCREENSHOTS=1) or missing, so `make test` leaves the tree clean.
SCREENSHOT = ROOT / "var" / "console-overview.png"
DOCS_SCREENSHOT = ROOT / "docs" / "console-overview.png"
TIMEOUT_MS = 5_000


@pytest.fixture(scope="module")
def live(database_urls):
    """The hub on a free port, with one operator made with the CLI."""
    settings_for = lambda url: make_settings(database_urls["sqlite"], base_url=url)  # noqa: E731
    create_operator(settings_for("http://127.0.0.1"), EMAIL, PASSWORD)
    server = LiveServer(settings_for)
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser():
    executable = chromium_or_fail()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def context(browser: Browser, live: LiveServer):
    ctx = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 800})
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def page(context: BrowserContext) -> Page:
    """The support agent's tab, kept from step to step."""
    return context.new_page()


@pytest.fixture(scope="module")
def walk() -> dict:
    """What one step leaves for the next (the hub's address, the key read once)."""
    return {}


@pytest.fixture(scope="module")
def receiver():
    """The Zap's endpoint: broken (HTTP 500) until the walk fixes it."""
    server = Receiver()
    yield server
    server.close()


def sign_in_fields(page: Page):
    return page.get_by_label(re.compile("e-?mail", re.I)), page.get_by_label(re.compile("password", re.I))


def submit(scope: Page | Locator, name: str | re.Pattern) -> None:
    """Press the form's button and wait for the page it leads to."""
    scope.get_by_role("button", name=name).click()
    (scope if isinstance(scope, Page) else scope.page).wait_for_load_state()


def open_section(page: Page, walk: dict, section: str) -> None:
    """Go to the hub, then to one of its sections through the hub's navigation."""
    page.goto(walk["hub_url"])
    page.get_by_role("navigation", name="Hub sections").get_by_role("link", name=section, exact=True).click()
    page.wait_for_load_state()


def step_needs(walk: dict, *keys: str) -> None:
    missing = [key for key in keys if key not in walk]
    if missing:
        pytest.fail(f"an earlier step did not get as far as {', '.join(missing)}", pytrace=False)


# Around the walk ------------------------------------------------------------------------------------------


def test_a_signed_out_visitor_is_sent_to_sign_in(browser: Browser, live: LiveServer):
    ctx = browser.new_context(base_url=live.url)
    try:
        visitor = ctx.new_page()
        visitor.goto("/console/hubs")
        expect(visitor).to_have_url(re.compile(r"/console/login\b"))
        expect(visitor.get_by_role("heading", name=re.compile("sign in", re.I))).to_be_visible()
        email, password = sign_in_fields(visitor)
        expect(email).to_be_visible()
        expect(password).to_have_attribute("type", "password")
    finally:
        ctx.close()


def test_the_sign_in_form_can_be_completed_with_the_keyboard_alone(browser: Browser, live: LiveServer):
    ctx = browser.new_context(base_url=live.url)
    try:
        visitor = ctx.new_page()
        visitor.goto("/console/")
        email, password = sign_in_fields(visitor)
        for _ in range(15):
            visitor.keyboard.press("Tab")
            if email.evaluate("element => element === document.activeElement"):
                break
        else:
            pytest.fail("Tab never reached the e-mail field")
        visitor.keyboard.type(EMAIL)
        visitor.keyboard.press("Tab")
        assert password.evaluate("element => element === document.activeElement")
        visitor.keyboard.type(PASSWORD)
        visitor.keyboard.press("Enter")
        expect(visitor.get_by_role("button", name=re.compile("sign out", re.I))).to_be_visible()
    finally:
        ctx.close()


# The walk -------------------------------------------------------------------------------------------------


def test_1_an_operator_signs_in(page: Page):
    page.goto("/console/")
    email, password = sign_in_fields(page)
    email.fill(EMAIL)
    password.fill(PASSWORD)
    submit(page, re.compile("sign in", re.I))
    expect(page.get_by_role("button", name=re.compile("sign out", re.I))).to_be_visible()
    expect(page.get_by_text(EMAIL).first).to_be_visible()


def test_2_they_create_a_hub(page: Page, walk: dict):
    page.goto("/console/hubs")
    page.get_by_role("link", name=re.compile(r"(create|new|add) (a )?hub", re.I)).first.click()
    page.get_by_label(re.compile("^name", re.I)).fill("Fresh Fridges GmbH")
    submit(page, "Create hub")
    expect(page.get_by_role("heading", name=re.compile("Fresh Fridges GmbH"))).to_be_visible()
    match = re.search(r"/console/hubs/([^/?#]+)", page.url)
    assert match, page.url
    walk["hub_url"] = f"/console/hubs/{match.group(1)}"


def test_3_they_connect_a_sandbox_pos_through_its_generated_form(page: Page, walk: dict):
    step_needs(walk, "hub_url")
    page.goto(walk["hub_url"])
    page.get_by_role("link", name=re.compile("connect a pos", re.I)).first.click()
    page.get_by_role("link", name=re.compile(r"^connect sandbox", re.I)).click()
    page.get_by_label(re.compile("^name", re.I)).fill("Office fridges")
    locations = page.get_by_label(re.compile("simulated locations", re.I))
    expect(locations).to_be_visible()
    # The schema's description is the field's help text.
    expect(page.get_by_text(re.compile("fridges and kiosks the sandbox simulates"))).to_be_visible()
    locations.fill('[{"external_id": "fridge-lobby", "name": "Lobby fridge"}]')
    submit(page, re.compile("connect|save|create", re.I))
    expect(page.get_by_role("heading", name=re.compile("Office fridges"))).to_be_visible()
    match = re.search(r"/console/hubs/[^/]+/connections/([^/?#]+)", page.url)
    assert match, page.url
    walk["connection_url"] = match.group(0)


def test_4_they_test_the_connection_and_see_the_answer(page: Page, walk: dict):
    step_needs(walk, "connection_url")
    page.goto(walk["connection_url"])
    submit(page, re.compile("test (the )?connection", re.I))
    expect(page.get_by_text(re.compile(r"answered", re.I)).first).to_be_visible()


def test_5_they_add_a_location(page: Page, walk: dict):
    step_needs(walk, "connection_url")
    page.goto(walk["connection_url"])
    page.get_by_role("link", name="add the first one").click()
    page.get_by_label(re.compile(r"location id", re.I)).fill("fridge-lobby")
    page.get_by_label(re.compile(r"^name", re.I)).fill("Lobby fridge")
    submit(page, "Add location")
    expect(page.get_by_role("cell", name="fridge-lobby")).to_be_visible()


def test_6_they_issue_an_automation_key_and_read_it_once(page: Page, walk: dict):
    step_needs(walk, "hub_url")
    open_section(page, walk, "Keys")
    page.get_by_label(re.compile("scope", re.I)).select_option("automation")
    page.get_by_label(re.compile("^name", re.I)).fill("Zapier, Fresh Fridges")
    submit(page, "Create key")
    shown = page.get_by_label(re.compile(r"^key \(automation", re.I))
    expect(shown).to_have_text(re.compile(r"^hub_\S+$"))
    walk["key"] = shown.inner_text().strip()
    copy = page.get_by_role("button", name="Copy")
    copy.click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == walk["key"]
    page.reload()
    expect(page.get_by_text(walk["key"])).to_have_count(0)
    open_section(page, walk, "Keys")
    expect(page.get_by_text("Zapier, Fresh Fridges")).to_be_visible()
    expect(page.get_by_text(walk["key"])).to_have_count(0)


def test_7_a_zap_subscribes_a_rest_hook_with_that_key(page: Page, walk: dict, receiver: Receiver):
    step_needs(walk, "key")
    receiver.answers = [(500, {})] * HOOK_DELIVERIES.backoff.max_attempts
    answer = page.request.post("/v1/hooks", headers={"Authorization": f"Bearer {walk['key']}"},
                               data={"trigger": "new_purchase", "target_url": receiver.url, "filters": {}})
    assert answer.status == 201, answer.text()
    walk["hook_id"] = answer.json()["id"]


def test_8_a_simulated_sale_arrives_on_the_events_page_and_the_overview(page: Page, walk: dict,
                                                                         live: LiveServer):
    step_needs(walk, "connection_url")
    page.goto(walk["connection_url"])
    sale = page.locator("form", has=page.get_by_role("button", name="Simulate a sale"))
    sale.get_by_label(re.compile("^sku", re.I)).fill("SAL-CAESAR")
    submit(sale, "Simulate a sale")
    expect(page.get_by_text(re.compile(r"Sold 1 × SAL-CAESAR at Lobby fridge"))).to_be_visible()
    live.tick()  # the scheduler polls the sandbox, which now reports the sale
    open_section(page, walk, "Events")
    expect(page.get_by_role("cell", name="new_purchase", exact=True)).to_be_visible()
    page.goto(walk["hub_url"])
    recent = page.get_by_role("region", name="Recent events")
    expect(recent.get_by_role("cell", name="new purchase", exact=True)).to_be_visible()


def test_9_the_broken_hook_target_leaves_a_dead_letter(page: Page, walk: dict, live: LiveServer,
                                                        receiver: Receiver):
    step_needs(walk, "hook_id")
    live.drain()
    with get_runtime().db.session() as session:
        [delivery_id] = session.scalars(select(HookDelivery.id)
                                        .where(HookDelivery.subscription_id == walk["hook_id"])).all()
    when = utcnow()
    for _ in range(HOOK_DELIVERIES.backoff.max_attempts):  # the day of retries, fast-forwarded
        when += timedelta(hours=15)
        deliver(delivery_id, now=when)
    assert len(receiver.mine()) == HOOK_DELIVERIES.backoff.max_attempts
    open_section(page, walk, "Dead letters")
    expect(page.get_by_text(re.compile("HTTP 500")).first).to_be_visible()
    walk["delivery_id"] = delivery_id


def test_10_after_the_fix_the_dead_letter_is_replayed_and_delivered(page: Page, walk: dict, live: LiveServer,
                                                                    receiver: Receiver):
    step_needs(walk, "delivery_id")
    receiver.answers = []  # fixed: answers 200 from now on
    before = len(receiver.mine())
    open_section(page, walk, "Dead letters")
    page.get_by_role("row").filter(has_text="HTTP 500").get_by_role("link", name="Replay", exact=True).click()
    submit(page, "Replay now")  # on the page that asks first
    live.drain()
    assert len(receiver.wait_for(before + 1, timeout=5)) == before + 1
    expect(page.get_by_text(re.compile("HTTP 500"))).to_have_count(0)
    open_section(page, walk, "Hooks")
    page.get_by_role("link", name="new_purchase", exact=True).click()
    expect(page.get_by_role("cell", name="succeeded", exact=True)).to_be_visible()


def test_11_a_post_without_its_csrf_token_is_refused(page: Page, walk: dict):
    step_needs(walk, "hub_url")
    page.goto("/console/hubs")
    page.get_by_role("link", name=re.compile(r"(create|new|add) (a )?hub", re.I)).first.click()
    name = page.get_by_label(re.compile("^name", re.I))
    action = urljoin(page.url, page.locator("form", has=name).get_attribute("action") or page.url)
    # The signed-in browser's own cookies, but no token: what a forged cross-site form would send.
    answer = page.request.post(action, form={"name": "Forged hub"})
    assert answer.status == 400
    assert "security token" in answer.text()
    page.goto("/console/hubs")
    expect(page.get_by_role("button", name=re.compile("sign out", re.I))).to_be_visible()
    expect(page.get_by_text("Forged hub")).to_have_count(0)


def save_screenshot(page: Page) -> None:
    """Screenshot the page to var/, and copy it to docs/ when asked to or when docs/ has none yet."""
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    if os.environ.get("HUB_UPDATE_SCREENSHOTS") == "1" or not DOCS_SCREENSHOT.exists():
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(SCREENSHOT, DOCS_SCREENSHOT)


def test_12_the_overview_reads_on_a_laptop_and_on_a_phone(page: Page, walk: dict):
    step_needs(walk, "hub_url")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(walk["hub_url"])
    save_screenshot(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the overview scrolls sideways by {overflow}px on a phone"
    page.set_viewport_size({"width": 1280, "height": 800})
