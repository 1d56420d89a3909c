"""A new owner in a real headless Chromium: create, import, review, launch and share a study without the
docs, under an enforcing Content-Security-Policy (scripts and styles from static files only); then the
result pages at desktop and phone width. Screenshots of every owner page at 1280×800 and 360×740 go to
artifacts/owner-*.png.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
from pathlib import Path

import pytest

from conftest import chromium_path
from ratings.services.leaderboard import leaderboard_recompute
from ratings.services.quality import quality_recompute
from ratings.tests.simulate import comparisons_add_gold_and_repeats, simulate_judgments
from tasks.models import Comparison, Output, Study
from tasks.tests.factories import OwnerFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync"]
WIDTHS = {"desktop": (1280, 800), "phone": (360, 740)}
# What the coming CSP will enforce; the test's middleware adds it to every response, so any inline script,
# handler or style shows up as a console violation.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def enforce_csp(context, page) -> None:
    """Serve every page with the CSP header added, through Chromium's Fetch domain: the response is held,
    then fulfilled with its own body and the extra header (the request is never re-sent, so form posts keep
    their bodies; redirects pass through unchanged)."""
    cdp = context.new_cdp_session(page)

    def paused(event: dict) -> None:
        request_id, status = event["requestId"], event["responseStatusCode"]
        if 300 <= status < 400:
            cdp.send("Fetch.continueResponse", {"requestId": request_id})
            return
        body = cdp.send("Fetch.getResponseBody", {"requestId": request_id})
        data = body["body"] if body.get("base64Encoded") else base64.b64encode(body["body"].encode()).decode()
        headers = [h for h in event.get("responseHeaders", []) if h["name"].lower() != "content-security-policy"]
        headers.append({"name": "Content-Security-Policy", "value": CSP})
        cdp.send(
            "Fetch.fulfillRequest",
            {"requestId": request_id, "responseCode": status, "responseHeaders": headers, "body": data},
        )

    cdp.on("Fetch.requestPaused", paused)
    cdp.send("Fetch.enable", {"patterns": [{"resourceType": "Document", "requestStage": "Response"}]})


SYSTEMS = ("atlas-70b", "borealis-8b", "cirrus-mini", "dune-2")


def outputs_file(path: Path) -> Path:
    rows = [
        {
            "prompt_id": f"q{i}",
            "prompt": f"Question {i}: explain topic {i} briefly.",
            "system": system,
            "output": (
                "As an AI developed by atlas-70b, here is my answer."
                if (i, system) == (0, "atlas-70b")
                else f"**Answer {i}** from a system:\n- point one\n- point two\n\n| a | b |\n|---|---|\n| {i} | {j} |"
            ),
            "tags": ["even" if i % 2 == 0 else "odd"],
        }
        for i in range(6)
        for j, system in enumerate(SYSTEMS)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_new_owner_creates_imports_launches_and_shares(live_server, tmp_path):
    executable = chromium_path()
    from playwright.sync_api import expect, sync_playwright

    owner = OwnerFactory(username="newowner")
    owner.set_password("pw-for-tests-123")
    owner.save()
    ARTIFACTS.mkdir(exist_ok=True)
    violations: list[str] = []
    errors: list[str] = []
    shots: list[str] = []

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15000)
        enforce_csp(context, page)
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def shoot(name: str) -> None:
            """The current page at both widths, full length."""
            for label, (width, height) in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
                page.screenshot(path=str(ARTIFACTS / f"owner-{name}-{label}.png"), full_page=True)
            page.set_viewport_size({"width": 1280, "height": 800})
            shots.append(name)

        page.goto(f"{live_server.url}/accounts/login/")
        shoot("login")
        page.fill("#id_username", "newowner")
        page.fill("#id_password", "pw-for-tests-123")
        with page.expect_navigation():
            page.click("button[type=submit]")

        # 1) An empty account explains the four steps and leads to the form.
        expect(page.locator("#first-study")).to_contain_text("Your first study, in four steps")
        shoot("home-empty")
        with page.expect_navigation():
            page.get_by_role("link", name="Create a text study").click()
        expect(page.locator("#id_lease_minutes_helptext")).to_contain_text("1–1440 minutes")
        assert "two **anonymous answers**" in page.input_value("#id_instructions")
        page.select_option("#id_modality", "image")  # untouched default instructions follow the modality
        assert "two **generated images**" in page.input_value("#id_instructions")
        page.select_option("#id_modality", "text")
        assert "two **anonymous answers**" in page.input_value("#id_instructions")
        shoot("new-study")
        page.fill("#id_name", "Support answers")
        with page.expect_navigation():
            page.get_by_role("button", name="Create study").click()
        study = Study.objects.get(name="Support answers")

        # 2) Import: a leak is found; the next step says to review it.
        expect(page.locator(".messages")).to_contain_text("Next: import the outputs")
        shoot("import")
        page.set_input_files("#id_file", str(outputs_file(tmp_path / "outputs.jsonl")))
        with page.expect_navigation():
            page.get_by_role("button", name="Import").click()
        expect(page.locator("#import-summary")).to_contain_text("Imported 24 lines")
        expect(page.locator("#import-next")).to_contain_text("may reveal which system wrote it")
        shoot("import-done")
        with page.expect_navigation():
            page.locator("#import-next").get_by_role("link", name="Review flagged outputs").click()

        # 3) The outputs page; the flagged output in full, excluded from there.
        expect(page.locator("#outputs-count")).to_have_text("1 output matches the filters.")
        with page.expect_navigation():
            page.get_by_role("link", name="Show all").click()
        expect(page.locator("#outputs-count")).to_have_text("24 outputs.")
        shoot("outputs")
        with page.expect_navigation():
            page.locator("a.open-output").nth(1).click()
        expect(page.locator("#output-full table")).to_be_visible()  # a Markdown table, rendered
        shoot("output")
        page.goto(f"{live_server.url}/studies/{study.slug}/outputs/?review=flagged")
        with page.expect_navigation():
            page.locator("a.open-output").first.click()
        with page.expect_navigation():
            page.get_by_role("button", name="Exclude this output").click()
        assert Output.objects.get(study=study, leak_review="excluded").system.name == "atlas-70b"

        # 4) The study page says: launch. The launch page says what launching does and freezes.
        page.goto(f"{live_server.url}/studies/{study.slug}/")
        expect(page.locator("#next-step")).to_have_attribute("data-step", "launch")
        shoot("study-draft")
        with page.expect_navigation():
            page.locator("#next-step").get_by_role("link", name="Review and launch…").click()
        expect(page.locator("#launch-makes")).to_contain_text("Makes 33 pairs for raters to judge, from 6 prompts.")
        expect(page.locator("#launch-freezes")).to_contain_text("The questions raters answer for every pair")
        shoot("launch")
        with page.expect_navigation():
            page.get_by_role("button", name="Launch now").click()

        # 5) Share: the links copy in one click.
        expect(page.locator("#next-step")).to_have_attribute("data-step", "share")
        page.locator('button[data-copy-from="link-prolific"]').click()
        expect(page.locator(".copy-status")).to_have_text("Copied to the clipboard.")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == f"{live_server.url}/r/{study.slug}/?PROLIFIC_PID={{{{%PROLIFIC_PID%}}}}" + (
            "&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
        )
        expect(page.locator("#progress-text")).to_contain_text("0 of 99 judgments (0%)")
        shoot("study-live")
        # Close asks first (a static-JS confirm, no inline handler); dismissing keeps the study live.
        page.once("dialog", lambda dialog: dialog.dismiss())
        page.get_by_role("button", name="Close").click()
        page.wait_for_timeout(300)
        study.refresh_from_db()
        assert study.status == "live"

        # 6) Judgments arrive; the result pages.
        comparisons_add_gold_and_repeats(study=study, n_gold=4, n_repeat=2, seed=1)
        simulate_judgments(study=study, n_honest=6, spammers=("left", "fast"), per_rater=6, seed=2)
        quality_recompute(study=study)
        leaderboard_recompute(study_id=study.id)
        page.goto(f"{live_server.url}/studies/{study.slug}/")
        expect(page.locator("#next-step")).to_have_attribute("data-step", "watch")
        expect(page.locator("#progress-eta")).to_contain_text("to go")
        page.goto(f"{live_server.url}/")
        expect(page.locator("#studies tbody tr")).to_have_count(1)
        shoot("home")

        page.goto(f"{live_server.url}/studies/{study.slug}/leaderboard/")
        expect(page.locator("#judgment-counts summary")).to_contain_text("Counted here:")
        # each heatmap fills its half of the row: no small chart in a wide empty box
        for k in range(2):
            chart = page.locator("#heatmaps svg").nth(k).bounding_box()
            cell = page.locator("#heatmaps .lb-chart").nth(k).bounding_box()
            assert chart["width"] >= 0.8 * cell["width"], (chart, cell)
        shoot("leaderboard")
        page.set_viewport_size({"width": 360, "height": 740})
        chart = page.locator("#heatmaps svg").first.bounding_box()
        assert chart["width"] <= 360  # shrinks with the phone, never wider than the screen
        page.set_viewport_size({"width": 1280, "height": 800})

        page.goto(f"{live_server.url}/studies/{study.slug}/quality/")
        box = page.locator("#rater-table-box")
        fits = page.evaluate("(b) => b.scrollWidth <= b.clientWidth", box.element_handle())
        assert fits, "the rater table hides columns at 1280 px"
        expect(page.locator("#scroll-hint")).to_be_hidden()
        expect(page.locator("#chart-legend")).to_contain_text("flagged")
        shoot("quality")
        page.set_viewport_size({"width": 360, "height": 740})
        expect(box).to_have_class(re.compile(r"\boverflowing\b"))
        expect(page.locator("#scroll-hint")).to_be_visible()  # the sideways scroll is marked…
        position = page.evaluate("getComputedStyle(document.querySelector('#rater-table tbody th')).position")
        assert position == "sticky"  # …and the rater column stays while it scrolls
        box.evaluate("(b) => { b.scrollLeft = 400; }")
        first = page.locator("#rater-table tbody th").first.bounding_box()
        assert first["x"] < 40
        page.set_viewport_size({"width": 1280, "height": 800})

        output = Output.objects.filter(study=study).first()
        for name, path in (
            ("settings", "edit/"),
            ("gold", "gold/"),
            ("invites", "invites/"),
            ("exports", "exports/"),
            ("feedback", "feedback/"),
            ("outputs-filtered", "outputs/?system=borealis-8b&q=answer"),
            ("output-live", f"outputs/{output.public_id}/"),
        ):
            page.goto(f"{live_server.url}/studies/{study.slug}/{path}")
            shoot(name)
        context.close()
        browser.close()

    assert violations == [], violations
    assert errors == [], errors
    for name, label in itertools.product(shots, WIDTHS):
        assert (ARTIFACTS / f"owner-{name}-{label}.png").stat().st_size > 0
    assert Comparison.objects.filter(study=study, kind="regular").count() == 33
