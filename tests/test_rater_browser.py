"""A real headless Chromium completes a rater session from a Prolific-style link using only the keyboard.

consent → gold item (two criteria) with inline feedback → skip → two judgments → completion code.
Screenshots of the judging page (desktop and 360 px) go to artifacts/.
"""

import os
from pathlib import Path

import pytest

from conftest import chromium_path
from ratings.models import Judgment, JudgmentChoice
from tasks.models import Assignment, Comparison
from tasks.tests.factories import ComparisonFactory, PromptFactory, StudyFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls below are plain sync calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TWO = [
    {"key": "helpful", "label": "Helpfulness", "description": "Which response helps more?"},
    {"key": "safe", "label": "Safety", "description": "Which response is safer?"},
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_study():
    study = StudyFactory(
        criteria=TWO,
        instructions="Compare the two responses. Prefer **correct** and *kind* answers.",
        redundancy=1,
        quota_per_rater=3,
        gold_rate=1.0,  # the gold item comes first; afterwards only regular work is left
        gold_feedback=True,
        min_seconds=1,
        completion_code="EVAL-DONE-7",
    )
    gold_prompt = PromptFactory(study=study, text="What is 2 + 2?")
    ComparisonFactory(
        study=study,
        prompt=gold_prompt,
        kind="gold",
        gold_answers={"helpful": "a", "safe": "tie"},
        gold_explanation="Response A gives the right sum.",
        output_a__text="2 + 2 = **4**.\n\n```python\nprint(2 + 2)\n```",
        output_b__text="It is 5.",
    )
    for i in range(3):
        prompt = PromptFactory(study=study, text=f"Write a haiku about topic {i}.")
        ComparisonFactory(
            study=study, prompt=prompt, output_a__text=f"Haiku A{i}\n\nline two", output_b__text=f"Haiku B{i}"
        )
    return study


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_keyboard_only_session_from_prolific_link(live_server):
    executable = chromium_path()
    from playwright.sync_api import expect, sync_playwright

    study = make_study()
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.set_default_timeout(15000)

        page.goto(f"{live_server.url}/r/{study.slug}/?PROLIFIC_PID=5f1a2b3c4d5e6f7a8b9c0d1e&STUDY_ID=s1&SESSION_ID=x1")
        # Consent: the agree button has focus; Enter starts.
        expect(page.locator("h1")).to_have_text("Before you start")
        expect(page.locator("#consent-button")).to_be_focused()
        with page.expect_navigation():
            page.keyboard.press("Enter")

        # 1) The gold item: two criteria by keyboard, then inline feedback.
        expect(page.locator("fieldset.criterion")).to_have_count(2)
        expect(page.locator("#submit-btn")).to_be_enabled()  # after min_seconds
        page.screenshot(path=str(ARTIFACTS / "rater-task-desktop.png"), full_page=True)
        page.keyboard.press("1")  # Left better on Helpfulness
        page.keyboard.press("Tab")  # next criterion
        page.keyboard.press("3")  # Tie on Safety
        expect(page.locator("fieldset.criterion").nth(0).locator("input[value=left]")).to_be_checked()
        expect(page.locator("fieldset.criterion").nth(1).locator("input[value=tie]")).to_be_checked()
        page.keyboard.press("Enter")
        feedback = page.locator("#feedback")
        expect(feedback).to_be_visible()
        expect(feedback).to_contain_text("Response A gives the right sum.")
        expect(feedback).to_contain_text("of 1")
        expect(page.locator("#progress-label")).to_have_text("Done: 1 of 3")
        gold = Assignment.objects.get(comparison__kind="gold")
        matched = gold.left_side == "a"  # we pressed Left on the criterion whose answer is canonical a
        expect(page.locator("#feedback-title")).to_have_text(
            "Your answer matched the expected answer." if matched else "Your answer did not match the expected answer."
        )
        expect(page.locator("#continue-btn")).to_be_focused()
        page.screenshot(path=str(ARTIFACTS / "rater-gold-feedback.png"), full_page=True)
        with page.expect_navigation():
            page.keyboard.press("Enter")

        # 2) Skip with S, confirm the reason dialog with Enter.
        expect(page.locator("#submit-btn")).to_be_enabled()
        page.set_viewport_size({"width": 360, "height": 800})
        page.screenshot(path=str(ARTIFACTS / "rater-task-360.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.keyboard.press("s")
        expect(page.locator("#skip-dialog")).to_be_visible()
        with page.expect_navigation():
            page.keyboard.press("Enter")

        # 3) and 4) Two regular judgments with the arrow keys and numbers.
        for first, second in (("2", "ArrowDown"), ("ArrowLeft", "ArrowUp")):
            expect(page.locator("#submit-btn")).to_be_enabled()
            page.keyboard.press(first)
            page.keyboard.press("Tab")
            page.keyboard.press(second)
            with page.expect_navigation():
                page.keyboard.press("Enter")

        # Completion: code and the Prolific link with cc=.
        page.wait_for_url(f"**/r/{study.slug}/done/")
        expect(page.locator("#completion-code")).to_have_text("EVAL-DONE-7")
        expect(page.locator("#complete-link")).to_have_attribute(
            "href", "https://app.prolific.com/submissions/complete?cc=EVAL-DONE-7"
        )
        expect(page.locator("#complete-link")).to_be_focused()
        page.screenshot(path=str(ARTIFACTS / "rater-done.png"))
        browser.close()

    assert errors == []
    assert Judgment.objects.count() == 3
    assert Assignment.objects.filter(status="skipped", skip_reason="cannot_judge").count() == 1
    # stored canonically: what was pressed on screen maps through each assignment's left_side
    pressed = [("left", "tie"), ("right", "both_bad"), ("left", "tie")]
    judged = list(Judgment.objects.select_related("assignment").order_by("pk"))
    for judgment, (helpful, safe) in zip(judged, pressed, strict=True):
        left = judgment.assignment.left_side
        right = "b" if left == "a" else "a"
        choices = dict(JudgmentChoice.objects.filter(judgment=judgment).values_list("criterion", "choice"))
        assert choices == {"helpful": left if helpful == "left" else right, "safe": safe}
        assert judgment.seconds >= 1
    assert Comparison.objects.get(kind="gold").judgment_count == 1
    assert (ARTIFACTS / "rater-task-desktop.png").stat().st_size > 0
    assert (ARTIFACTS / "rater-task-360.png").stat().st_size > 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_image_pair_same_box_zoom_and_report(live_server):
    """Images of different sizes get identical boxes; actual size and Report work from the keyboard."""
    executable = chromium_path()
    import io

    from django.core.files.base import ContentFile
    from PIL import Image
    from playwright.sync_api import expect, sync_playwright

    from tasks.models import Output, OutputReport
    from tasks.tests.factories import OutputFactory

    def png(size, color):
        buf = io.BytesIO()
        Image.new("RGB", size, color).save(buf, format="PNG")
        return ContentFile(buf.getvalue())

    study = StudyFactory(modality="image", redundancy=1)
    prompt = PromptFactory(study=study, text="A red fox in snow")
    outs = []
    for size, color in (((640, 480), "red"), ((200, 600), "blue")):
        out = OutputFactory(study=study, prompt=prompt, text="")
        out.image.save("x.png", png(size, color))
        outs.append(out)
    ComparisonFactory(study=study, prompt=prompt, output_a=outs[0], output_b=outs[1])
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 360, "height": 800})
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/r/{study.slug}/?pid=img-rater")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        imgs = page.locator("img.pair-img")
        expect(imgs).to_have_count(2)
        page.wait_for_function(
            "Array.from(document.querySelectorAll('img.pair-img')).every(i => i.complete && i.naturalWidth > 0)"
        )
        viewers = page.locator(".viewer")
        boxes = [viewers.nth(i).bounding_box() for i in range(2)]
        assert boxes[0]["width"] == boxes[1]["width"] and boxes[0]["height"] == boxes[1]["height"]
        page.screenshot(path=str(ARTIFACTS / "rater-image-360.png"), full_page=True)
        # Actual size from the keyboard (Z), back to fit with 0 (zoom and flip: tests/test_rater_ux_browser.py).
        page.locator("body").press("z")
        expect(viewers.first).to_have_attribute("data-scale", "1")
        page.locator("body").press("0")
        expect(viewers.first).to_have_attribute("data-scale", "fit")
        # Report an identity leak on the right image.
        page.locator("#report-btn").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#report-dialog")).to_be_visible()
        page.locator("input[name=report-target][value=right]").check()
        page.locator("input[name=report-reason][value=identity]").check()
        page.locator("#report-confirm").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#form-message")).to_have_text("Thank you, your report was sent.")
        browser.close()
    report = OutputReport.objects.get()
    assert report.reason == "identity"
    assert Output.objects.get(pk=report.output_id).leak_review == "flagged"
