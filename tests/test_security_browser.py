"""In a real Chromium: no page violates its Content-Security-Policy; MTurk-style framing works for rater pages
(with the rater session inside the cross-site frame) and fails for owner pages.

A CSP violation anywhere on the pages visited fails the test: every page records `securitypolicyviolation`
events (installed by Playwright before any page script) and the console's "Refused to ..." errors.
The framing test serves the parent page from another site (127.0.0.1 frames localhost), as MTurk's
worker site frames an ExternalQuestion.
"""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from conftest import chromium_path
from ratings.models import Judgment
from ratings.services.leaderboard import leaderboard_recompute
from ratings.tests.simulate import make_simulated_study
from tasks.tests.factories import ComparisonFactory, StudyFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop here

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class Browser:
    """One Chromium page that collects CSP violations and console errors of every document it shows."""

    def __init__(self, pw):
        self.browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        self.context = self.browser.new_context(locale="en-US")
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _console(self, message) -> None:
        if message.location.get("url", "").endswith("/favicon.ico"):
            return  # owner pages name no icon; the browser's own guess 404s
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console: {message.text} ({message.location.get('url')})")

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status < 400, (url, response and response.status)
        self.page.wait_for_load_state("load")
        self.collect(url)

    def collect(self, where: str) -> None:
        for frame in self.page.frames:
            try:
                found = frame.evaluate("window.__csp || []")
            except Exception:
                continue
            self.problems += [f"{where}: CSP violation: {v}" for v in found]

    def close(self) -> None:
        self.browser.close()


def login(browser: Browser, base: str, owner) -> None:
    browser.visit(f"{base}/accounts/login/")
    browser.page.fill("#id_username", owner.username)
    browser.page.fill("#id_password", "pw-for-tests-123")
    with browser.page.expect_navigation():
        browser.page.click("button[type=submit]")
    browser.collect("after login")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_csp_violation_on_owner_and_rater_pages(live_server, settings):
    from playwright.sync_api import sync_playwright

    settings.EVALSITE_PUBLIC_API_DOCS = False
    sim = make_simulated_study(n_prompts=4, votes_per_comparison=3, n_raters=4)
    study = sim.study
    leaderboard_recompute(study_id=study.id)
    owner = study.owner
    owner.is_staff = owner.is_superuser = True
    owner.save()
    live = StudyFactory(instructions="Pick the **better** one.", min_seconds=0)
    ComparisonFactory(study=live, output_a__text="`code` and *emphasis*", output_b__text="Plain.")
    base = live_server.url
    with sync_playwright() as pw:
        browser = Browser(pw)
        try:
            login(browser, base, owner)
            for path in (
                "/",
                f"/studies/{study.slug}/",
                f"/studies/{study.slug}/edit/",
                f"/studies/{study.slug}/import/",
                f"/studies/{study.slug}/outputs/",
                f"/studies/{study.slug}/gold/",
                f"/studies/{study.slug}/leaderboard/",
                f"/studies/{study.slug}/quality/",
                f"/studies/{study.slug}/exports/",
                f"/studies/{study.slug}/feedback/",
                "/studies/new/",
                "/api/docs/",
                f"/api/studies/{study.slug}/",  # DRF's browsable API, for an owner
                "/admin/",
            ):
                browser.visit(base + path)
            # the close button asks first (a static script, no inline handler): dismissing keeps the study live
            browser.visit(f"{base}/studies/{study.slug}/")
            if browser.page.locator("button[value=close]").count():
                browser.page.once("dialog", lambda dialog: dialog.dismiss())
                browser.page.click("button[value=close]")
                browser.page.wait_for_timeout(300)
                study.refresh_from_db()
                assert study.status != "closed"
            # rater pages, in a fresh context (no owner session)
            rater = Browser(pw)
            try:
                rater.visit(f"{base}/r/{live.slug}/?pid=csp-rater")
                with rater.page.expect_navigation():
                    rater.page.click("#consent-button")
                rater.collect("task page")
                rater.page.keyboard.press("1")
                with rater.page.expect_navigation():
                    rater.page.keyboard.press("Enter")
                rater.collect("done page")
                browser.problems += rater.problems
            finally:
                rater.close()
        finally:
            browser.close()
    assert browser.problems == [], "\n".join(browser.problems)
    assert Judgment.objects.filter(study=live).count() == 1


@dataclass
class ParentSite:
    pages: dict[str, str]
    origin: str


@pytest.fixture
def parent_site() -> Iterator[ParentSite]:
    """A tiny web server on 127.0.0.1 (another site than the live server's localhost) serving framing pages,
    on a free port the system picks (never a fixed one another process may hold)."""
    pages: dict[str, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ParentSite(pages=pages, origin=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


def frame_page(src: str) -> str:
    return f'<!doctype html><title>HIT</title><iframe id="hit" src="{src}" width="1000" height="800"></iframe>'


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rater_page_works_inside_a_cross_site_frame_and_owner_pages_refuse_it(live_server, settings, parent_site):
    from playwright.sync_api import sync_playwright

    parent_origin = parent_site.origin
    settings.EVALSITE_RATER_FRAME_ANCESTORS = [parent_origin]
    settings.SESSION_COOKIE_SECURE = True  # rater cookie SameSite=None; Secure, as under HTTPS (localhost is secure)
    settings.LANGUAGE_COOKIE_SAMESITE = "None"
    study = StudyFactory(min_seconds=0, instructions="Judge.")
    ComparisonFactory(study=study, output_a__text="One.", output_b__text="Two.")
    base = live_server.url
    assert "localhost" in base
    parent_site.pages["/hit"] = frame_page(f"{base}/r/{study.slug}/?workerId=W1&assignmentId=A1&hitId=H1")
    parent_site.pages["/owner"] = frame_page(f"{base}/accounts/login/")
    with sync_playwright() as pw:
        browser = Browser(pw)
        try:
            browser.visit(f"{parent_origin}/hit")
            frame = browser.page.frame_locator("#hit")
            frame.locator("#consent-button").click()
            frame.locator("#submit-btn").wait_for()
            child = next(f for f in browser.page.frames if "/task/" in f.url)
            child.press("body", "1")
            child.press("body", "Enter")
            frame.locator(".done").wait_for()
            cookies = {c["name"]: c for c in browser.context.cookies()}  # partitioned ones too
            rater_cookie = cookies[settings.RATER_SESSION_COOKIE_NAME]
            assert rater_cookie["sameSite"] == "None" and rater_cookie["secure"] and rater_cookie["path"] == "/r/"
            # partitioned (CHIPS): this Chromium blocks unpartitioned third-party cookies, as browsers now do
            assert rater_cookie.get("partitionKey") == "http://127.0.0.1"  # the top-level site (scheme + host)
            browser.collect("framed rater pages")

            # an owner page refuses to be framed (frame-ancestors 'none', X-Frame-Options DENY)
            browser.visit(f"{parent_origin}/owner")
            browser.page.wait_for_timeout(500)
            login_frame = next(f for f in browser.page.frames if f is not browser.page.main_frame)
            assert login_frame.locator("#id_username").count() == 0
        finally:
            browser.close()
    # Expected here: the refused owner frame, and Chromium's refusal to autofocus inside a cross-origin frame
    # (a rater in the MTurk frame clicks once before the keyboard shortcuts work; noted for the rater pages).
    expected = ("frame-ancestors", "Refused to frame", "Blocked autofocusing")
    problems = [p for p in browser.problems if not any(e in p for e in expected)]
    assert problems == [], "\n".join(problems)
    assert Judgment.objects.filter(study=study).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rater_page_refuses_a_frame_from_an_unlisted_site(live_server, settings, parent_site):
    from playwright.sync_api import sync_playwright

    settings.EVALSITE_RATER_FRAME_ANCESTORS = ["https://worker.mturk.com", "https://workersandbox.mturk.com"]
    study = StudyFactory(instructions="Judge.")
    ComparisonFactory(study=study)
    parent_site.pages["/evil"] = frame_page(f"{live_server.url}/r/{study.slug}/?pid=someone")
    with sync_playwright() as pw:
        browser = Browser(pw)
        try:
            browser.visit(f"{parent_site.origin}/evil")
            browser.page.wait_for_timeout(500)
            child = next(f for f in browser.page.frames if f is not browser.page.main_frame)
            assert child.locator("#consent-button").count() == 0
        finally:
            browser.close()
