"""The rater page as a person uses it, in headless Chromium at 1280×800 and 360×740 (issue 12).

- the vote bar (every answer button and Submit) is on screen without scrolling, for short and 2,000-character
  answers, and stays there while the rater scrolls; answer buttons stay on one line on a phone;
- the instructions reopen on the judging page with I and with the button;
- image comparison: actual size is the image's own size, zoom and pan move both sides together, F flips;
- a touch screen shows no keyboard hints; Chinese labels say 提示词 for "Prompt"; one click switches language;
- no request fails (favicon included).

Screenshots of each rater page at both widths go to artifacts/ (gitignored).
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from conftest import chromium_path
from tasks.tests.factories import ComparisonFactory, OutputFactory, PromptFactory, StudyFactory
from tasks.tests.markdown_corpus import LONG_ANSWER

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
TWO = [
    {"key": "helpful", "label": "Helpfulness", "description": "Which response helps more?"},
    {"key": "safe", "label": "Safety", "description": "Which response is safer?"},
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


# What the enforcing Content-Security-Policy (another change) will send: scripts and styles from our own files
# only. The pages here get it added to every document, so an inline script, handler or style attribute fails.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _with_csp(route):
    if route.request.resource_type != "document":
        route.continue_()
        return
    response = route.fetch(max_redirects=0)  # a redirect goes back to the browser, which follows it
    route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})


class Page:
    """A Playwright page under a strict CSP that records failed requests, script errors and console errors
    (CSP violations are console errors); all must stay empty."""

    def __init__(self, browser, **context):
        self.context = browser.new_context(**context)
        self.context.route("**/*", _with_csp)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.failures: list[str] = []
        self.page.on("pageerror", lambda exc: self.failures.append(f"script error: {exc}"))
        self.page.on("console", lambda m: self.failures.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("response", lambda r: self.failures.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    def start(self, live_server, study, pid: str = "ux-rater"):
        """Open the study link, agree to the consent form, land on the judging page."""
        self.page.goto(f"{live_server.url}/r/{study.slug}/?pid={pid}")
        with self.page.expect_navigation():
            self.page.locator("#consent-button").click()
        self.page.wait_for_selector("#judge-form")
        return self.page

    def close(self):
        self.context.close()
        assert self.failures == []


def wait_until(page, function: str, timeout: float = 15.0) -> None:
    """Poll a JS function until it returns true (wait_for_function evaluates strings, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(function):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {function}")
        time.sleep(0.05)


def text_study(answer: str, **kwargs):
    defaults = {"criteria": TWO, "redundancy": 1, "instructions": "Prefer **accurate** answers. Ignore length."}
    study = StudyFactory(**(defaults | kwargs))
    prompt = PromptFactory(study=study, text="How should I train for my first marathon?")
    ComparisonFactory(study=study, prompt=prompt, output_a__text=answer, output_b__text=answer[: len(answer) // 3])
    return study


def in_viewport(page, selector: str) -> list[str]:
    """Elements matching `selector` not fully inside the window, as `selector[i]: top-bottom`."""
    height = page.viewport_size["height"]
    out = []
    loc = page.locator(selector)
    for i in range(loc.count()):
        box = loc.nth(i).bounding_box()
        if box is None or box["y"] < 0 or box["y"] + box["height"] > height + 0.5:
            out.append(f"{selector}[{i}]: {box and (box['y'], box['y'] + box['height'])}")
    return out


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "360x740"])
@pytest.mark.parametrize("length", ["short", "long", "long-with-scores-and-reason"])
def test_vote_bar_is_in_reach_without_scrolling(browser, live_server, viewport, length):
    answer = LONG_ANSWER if length.startswith("long") else "Run three times a week and build up slowly."
    assert length == "short" or len(answer) >= 2000
    extras = {"likert_scale": 7, "rationale": "optional"} if "reason" in length else {}
    study = text_study(answer, **extras)
    p = Page(browser, viewport=viewport)
    page = p.page
    page.goto(f"{live_server.url}/r/{study.slug}/?pid=bar-{length}")
    page.screenshot(path=str(ARTIFACTS / f"rater-consent-{viewport['width']}.png"), full_page=True)
    with page.expect_navigation():
        page.locator("#consent-button").click()
    page.wait_for_selector("#judge-form")
    assert page.evaluate("window.scrollY") == 0
    page.screenshot(path=str(ARTIFACTS / f"rater-task-{viewport['width']}-{length}.png"))
    controls = ".choices label, #submit-btn, #skip-btn, #report-btn, #instructions-btn"
    assert page.locator(".choices label").count() == 8
    assert in_viewport(page, controls) == []
    if length.startswith("long"):
        # the page really is taller than the window, and the bar stays put while reading
        assert page.evaluate("document.documentElement.scrollHeight") > viewport["height"] + 200
        page.mouse.wheel(0, 600)
        wait_until(page, "() => window.scrollY > 0")
        assert in_viewport(page, controls) == []
    # Every answer button is one line: no "Left / better" on a phone.
    for label in page.locator(".choices label").all():
        box = label.bounding_box()
        assert box["height"] < 48, box
        assert label.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    # Voting from the bar works where it is.
    page.locator("fieldset.criterion").nth(0).get_by_label("Tie").click()
    page.locator("fieldset.criterion").nth(1).locator("label").nth(0).click()
    with page.expect_navigation():
        page.locator("#submit-btn").click()
    page.wait_for_url("**/done/")
    page.screenshot(path=str(ARTIFACTS / f"rater-done-{viewport['width']}.png"))
    p.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_instructions_reopen_by_key_and_button(browser, live_server):
    study = text_study("A short answer.")
    p = Page(browser, viewport=DESKTOP)
    page = p.start(live_server, study)
    dialog = page.locator("#instructions-dialog")
    assert not dialog.is_visible()
    page.keyboard.press("i")
    assert dialog.is_visible()
    assert dialog.locator(".md strong").inner_text() == "accurate"
    assert dialog.locator(".criteria-help dt").all_inner_texts() == ["Helpfulness", "Safety"]
    assert dialog.locator(".shortcuts").is_visible()
    page.screenshot(path=str(ARTIFACTS / "rater-instructions-1280.png"))
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    # keys still vote after the dialog, and I does not vote
    page.keyboard.press("1")
    assert page.locator("fieldset.criterion").nth(0).locator("input[value=left]").is_checked()
    page.locator("#instructions-btn").click()
    assert dialog.is_visible()
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / "rater-instructions-360.png"))
    page.locator("#instructions-close").click()
    assert not dialog.is_visible()
    p.close()


def _png(size, color, mark):
    """A picture with a grid and a mark, so a screenshot shows where each side is zoomed."""
    img = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(img)
    for x in range(0, size[0], 64):
        draw.line([(x, 0), (x, size[1])], fill="white", width=2)
    for y in range(0, size[1], 64):
        draw.line([(0, y), (size[0], y)], fill="white", width=2)
    draw.ellipse([mark[0] - 40, mark[1] - 40, mark[0] + 40, mark[1] + 40], fill="yellow")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return ContentFile(buf.getvalue())


def image_study():
    study = StudyFactory(modality="image", redundancy=1, criteria=TWO[:1])
    prompt = PromptFactory(study=study, text="A lighthouse at dusk")
    outs = []
    for color, mark in (("#3b6ea5", (700, 500)), ("#a53b3b", (720, 480))):
        out = OutputFactory(study=study, prompt=prompt, text="")
        out.image.save("x.png", _png((1024, 768), color, mark))
        outs.append(out)
    ComparisonFactory(study=study, prompt=prompt, output_a=outs[0], output_b=outs[1])
    return study


def image_boxes(page):
    """Each side's image box relative to its viewer: identical on both sides when zoom and pan are in sync."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.pair .viewer')).map(v => {
            const a = v.getBoundingClientRect(), b = v.querySelector('img').getBoundingClientRect();
            return [b.left - a.left, b.top - a.top, b.width, b.height].map(x => Math.round(x * 10) / 10);
        })"""
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_image_zoom_pan_are_synchronised_and_flip_by_key(browser, live_server):
    study = image_study()
    p = Page(browser, viewport=DESKTOP)
    page = p.start(live_server, study)
    wait_until(page, "() => Array.from(document.querySelectorAll('img.pair-img')).every(i => i.naturalWidth > 0)")
    expect_tools = page.locator("#image-tools")
    assert expect_tools.is_visible()
    viewers = page.locator(".pair .viewer")
    fit = image_boxes(page)
    assert fit[0] == fit[1]
    # Actual size is the image's own size (1024 px wide), larger than the fitted image — never smaller.
    page.keyboard.press("z")
    actual = image_boxes(page)
    assert actual[0] == actual[1] and actual[0][2] == 1024 and actual[0][3] == 768
    assert actual[0][2] > fit[0][2]
    assert [viewers.nth(i).get_attribute("data-scale") for i in range(2)] == ["1", "1"]
    # Zoom in and pan by keyboard: both sides move together.
    page.keyboard.press("+")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    zoomed = image_boxes(page)
    assert zoomed[0] == zoomed[1] and zoomed[0][2] == 1280
    assert zoomed[0][:2] != actual[0][:2]
    assert page.locator("#zoom-level").inner_text() == "125%"
    # Drag the left image with the mouse: the right one follows.
    box = viewers.nth(0).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2 - 60, steps=4)
    page.mouse.up()
    dragged = image_boxes(page)
    assert dragged[0] == dragged[1] and dragged[0][:2] != zoomed[0][:2]
    page.screenshot(path=str(ARTIFACTS / "rater-image-zoomed-1280.png"))
    # Flip: one side at a time, in the same place, F switches, V goes back to side by side.
    page.keyboard.press("f")
    left, right = page.locator(".output[data-side=left]"), page.locator(".output[data-side=right]")
    assert left.is_visible() and not right.is_visible()
    assert page.locator("#flip-status").inner_text() == "Showing the left response"
    where_left = viewers.nth(0).bounding_box()
    shown = image_boxes(page)[0]
    assert shown[0] <= 0 and shown[0] + shown[2] >= where_left["width"] - 1  # placed in the wider flip box
    page.screenshot(path=str(ARTIFACTS / "rater-image-flip-1280.png"))
    page.keyboard.press("f")
    assert right.is_visible() and not left.is_visible()
    assert page.locator("#flip-status").inner_text() == "Showing the right response"
    assert viewers.nth(1).bounding_box() == where_left
    showing_right = image_boxes(page)[1]
    page.keyboard.press("f")
    assert image_boxes(page)[0] == showing_right  # same zoom and position whichever side shows
    assert showing_right[2] == 1280  # still at 125 %
    page.keyboard.press("v")
    assert left.is_visible() and right.is_visible()
    page.keyboard.press("0")
    assert image_boxes(page) == fit
    # The voting keys still vote.
    page.keyboard.press("2")
    assert page.locator("fieldset.criterion input[value=right]").is_checked()
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / "rater-image-360.png"))
    p.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_touch_screen_shows_no_keyboard_hints(browser, live_server):
    study = text_study("A short answer.", redundancy=2)
    # The same phone width without touch shows the shortcuts in the dialog: the check below can fail.
    plain = Page(browser, viewport=PHONE)
    plain.start(live_server, study, pid="keyboard-phone")
    plain.page.locator("#instructions-btn").click()
    assert plain.page.locator("#instructions-dialog .shortcuts").is_visible()
    plain.close()

    touch = Page(browser, viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    page = touch.page
    page.goto(f"{live_server.url}/r/{study.slug}/?pid=touch-phone")
    assert not page.locator(".keys-only").first.is_visible()  # the consent page's keyboard line
    with page.expect_navigation():
        page.locator("#consent-button").tap()
    page.wait_for_selector("#judge-form")
    assert page.locator("kbd").count() > 0
    visible_kbd = page.evaluate("Array.from(document.querySelectorAll('kbd')).filter(k => k.offsetParent).length")
    assert visible_kbd == 0
    assert page.locator("#submit-btn").inner_text().strip() == "Submit"
    page.screenshot(path=str(ARTIFACTS / "rater-touch-360.png"))
    page.locator("#instructions-btn").tap()
    assert page.locator("#instructions-dialog").is_visible()
    assert not page.locator("#instructions-dialog .shortcuts").is_visible()
    page.locator("#instructions-close").tap()
    page.locator("fieldset.criterion").nth(0).locator("label").nth(1).tap()
    assert page.locator("fieldset.criterion").nth(0).locator("input[value=right]").is_checked()
    touch.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "360x740"])
def test_chinese_labels_and_one_click_language_switch(browser, live_server, viewport):
    study = text_study("一个简短的回答。")
    p = Page(browser, viewport=viewport, locale="zh-CN")
    page = p.start(live_server, study)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("#prompt-h").inner_text() == "提示词"
    labels = page.locator("fieldset.criterion").nth(0).locator("label .long").all_text_contents()
    assert labels == ["左边更好", "右边更好", "一样好", "都不好"]
    assert "提示" not in page.locator("body").inner_text().replace("提示词", "")
    page.screenshot(path=str(ARTIFACTS / f"rater-task-zh-{viewport['width']}.png"))
    # One control, one click: English, then back to Chinese.
    switch = page.locator(".lang-switch button")
    assert switch.count() == 1 and page.locator(".lang-switch select").count() == 0
    with page.expect_navigation():
        switch.click()
    assert page.locator("#prompt-h").inner_text() == "Prompt"
    with page.expect_navigation():
        page.locator(".lang-switch button").click()
    assert page.locator("#prompt-h").inner_text() == "提示词"
    p.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("status", ["paused", "closed"])
def test_paused_and_closed_pages_at_both_widths(browser, live_server, status):
    study = text_study("A short answer.", status=status)
    p = Page(browser, viewport=DESKTOP)
    p.page.goto(f"{live_server.url}/r/{study.slug}/?pid=late")
    assert p.page.locator("h1").inner_text() == status.capitalize()
    p.page.screenshot(path=str(ARTIFACTS / f"rater-{status}-1280.png"))
    p.page.set_viewport_size(PHONE)
    p.page.screenshot(path=str(ARTIFACTS / f"rater-{status}-360.png"))
    p.close()


RICH_ANSWER = r"""To compare the two options:
| option | cost | speed |
|---|---:|---|
| A | $5 | fast |
| B | $10 | slow |
The break-even point solves \( 5 + 2x = 10 + x \), so
\[
x = \frac{10 - 5}{2 - 1} = 5
\]
```python
def break_even(a, b, da, db):
    return (b - a) / (da - db)
```
- check the units
  - per month, not per year"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "360x740"])
def test_model_markdown_renders_as_tables_math_and_highlighted_code(browser, live_server, viewport):
    study = text_study(RICH_ANSWER)
    p = Page(browser, viewport=viewport)
    page = p.start(live_server, study)
    side = page.locator(".output .md").filter(has=page.locator("mfrac"))  # the full answer, not the third
    assert side.locator("tbody tr").count() == 2
    # MathML is laid out by the browser: the fraction stands taller than a line of text.
    frac = side.locator("mfrac").bounding_box()
    line = side.locator("math[display=inline]").first.bounding_box()
    assert frac["height"] > line["height"]
    # Code colours come from static/css/highlight.css (keyword colour differs from plain text).
    keyword = side.locator("pre.highlight span.k").first.evaluate("el => getComputedStyle(el).color")
    plain = side.locator("pre.highlight").evaluate("el => getComputedStyle(el).color")
    assert keyword != plain
    assert "$5" in side.locator("table").inner_text()  # prices stay prices
    page.locator(".pair").screenshot(path=str(ARTIFACTS / f"rater-markdown-{viewport['width']}.png"))
    p.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_unknown_link_page_at_both_widths(browser, live_server, settings):
    settings.DEBUG = True  # as under `make run`: still no debug page for a rater
    p = Page(browser, viewport=DESKTOP)
    url = f"{live_server.url}/r/no-such-study/?pid=lost"
    p.page.goto(url)
    assert p.page.locator("h1").inner_text() == "This link does not lead to an open study"
    assert "URLconf" not in p.page.content()
    p.page.screenshot(path=str(ARTIFACTS / "rater-not-found-1280.png"))
    p.page.set_viewport_size(PHONE)
    p.page.screenshot(path=str(ARTIFACTS / "rater-not-found-360.png"))
    # the page itself (and Chromium's console line about it), nothing else: favicon and styles load
    assert p.failures == [
        f"404 {url}",
        "console: Failed to load resource: the server responded with a status of 404 (Not Found)",
    ]
    p.failures.clear()
    p.close()
