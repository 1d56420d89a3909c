"""Crawl every rater-facing response of a study and look for the systems' names: none may appear.

Bodies (HTML, JSON, image bytes), headers, redirect targets and visited URLs are
scanned case-insensitively. The systems' names are also planted where a careless
view could pick them up: output/prompt meta and the stored image file names.
"""

import datetime as dt
import io
import json

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tasks.models import Assignment, Study
from tasks.tests.factories import ComparisonFactory, OutputFactory, PromptFactory, StudyFactory, SystemFactory
from tests.sessions import csrf_token

pytestmark = pytest.mark.django_db

NAMES = ["Zanzibar-Quokka-9000", "PELICANFORGE", "gpt-lemurian"]
TWO = [{"key": "helpful", "label": "Helpful"}, {"key": "safe", "label": "Safe"}]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Crawler:
    """A test client that records every response and the URL that produced it."""

    def __init__(self, **kwargs):
        self.client = Client(enforce_csrf_checks=True, **kwargs)
        self.seen: list[tuple[str, object]] = []

    def get(self, url, data=None):
        resp = self.client.get(url, data or {})
        self.seen.append((url + ("?" + "&".join(f"{k}={v}" for k, v in (data or {}).items()) if data else ""), resp))
        return resp

    def post_json(self, url, body, *, csrf=True):
        headers = {"HTTP_X_CSRFTOKEN": csrf_token(self.client)} if csrf else {}
        resp = self.client.post(url, json.dumps(body), content_type="application/json", **headers)
        self.seen.append((url, resp))
        return resp

    def post_form(self, url, data):
        resp = self.client.post(url, data)
        self.seen.append((url, resp))
        return resp


def leaks(text: str) -> list[str]:
    low = text.lower()
    return [n for n in NAMES if n.lower() in low]


def scan(crawler: Crawler) -> list[str]:
    found = []
    for url, resp in crawler.seen:
        parts = [url, resp.content.decode("utf-8", errors="replace"), resp.content.decode("latin-1")]
        parts += [f"{k}: {v}" for k, v in resp.headers.items()]
        parts += [f"{c.key}={c.value}" for c in resp.cookies.values()]
        for name in leaks("\n".join(parts)):
            found.append(f"{name} in response to {url} ({resp.status_code})")
    return found


def png_bytes(color: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buf, format="PNG")
    return buf.getvalue()


def make_study() -> Study:
    study = StudyFactory(
        criteria=TWO,
        name="Blind test",
        redundancy=1,
        gold_rate=1.0,  # gold first (feedback JSON is crawled), then regular work
        completion_code="OK-1",
        instructions="Pick the better answer.",
    )
    systems = [SystemFactory(study=study, name=n, notes=f"{n} notes") for n in NAMES]
    for i in range(3):
        prompt = PromptFactory(study=study, text=f"Question {i}?", meta={"source": NAMES[0]})
        outs = [
            OutputFactory(study=study, prompt=prompt, system=s, text=f"Answer {j} to {i}.", meta={"system": s.name})
            for j, s in enumerate(systems)
        ]
        ComparisonFactory(study=study, prompt=prompt, output_a=outs[0], output_b=outs[1])
        ComparisonFactory(study=study, prompt=prompt, output_a=outs[1], output_b=outs[2])
    # One comparison with images whose stored file names carry the system names.
    img_prompt = PromptFactory(study=study, text="Draw a fox.", messages=[{"role": "user", "content": "Earlier turn"}])
    img_prompt.image.save(f"{NAMES[1]}-prompt.png", ContentFile(png_bytes("blue")))
    img_outs = []
    for s, color in zip(systems[:2], ("red", "green"), strict=True):
        out = OutputFactory(study=study, prompt=img_prompt, system=s, text="")
        out.image.save(f"{s.name}.png", ContentFile(png_bytes(color)))
        img_outs.append(out)
    ComparisonFactory(study=study, prompt=img_prompt, output_a=img_outs[0], output_b=img_outs[1])
    gold_prompt = PromptFactory(study=study, text="Gold question?")
    g = [
        OutputFactory(study=study, prompt=gold_prompt, system=s, text=f"Gold answer {k}.")
        for k, s in enumerate(systems[:2])
    ]
    ComparisonFactory(
        study=study,
        prompt=gold_prompt,
        output_a=g[0],
        output_b=g[1],
        kind="gold",
        gold_answers={"helpful": "a", "safe": "tie"},
        gold_explanation="The first cites a source.",
    )
    return study


def test_scanner_can_fail():
    assert leaks(f"<p>{NAMES[0].upper()}</p>") == [NAMES[0]]


def test_no_rater_facing_response_names_a_system():
    study = make_study()
    slug = study.slug
    c = Crawler()
    # error pages and previews first
    c.get(reverse("rater-entry", args=[slug]), {"PROLIFIC_PID": "bad id!"})
    c.get(reverse("rater-entry", args=[slug]), {"assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE"})
    c.get(reverse("rater-entry", args=["no-such-study"]))
    c.get(reverse("blind-image", args=["nope"]))
    c.get(reverse("rater-task", args=[slug]))  # no session yet: redirect
    # entry → consent → task loop
    c.get(reverse("rater-entry", args=[slug]), {"PROLIFIC_PID": "abc123", "STUDY_ID": "s1", "SESSION_ID": "x"})
    consent = c.get(reverse("rater-consent", args=[slug]))
    c.post_form(reverse("rater-consent", args=[slug]), {"csrfmiddlewaretoken": str(consent.context["csrf_token"])})
    pages = 0
    skipped = reported = errors_done = False
    while True:
        page = c.get(reverse("rater-task", args=[slug]))
        if page.status_code == 302:
            break
        pages += 1
        cfg = page.context["config"]
        html = page.content.decode()
        for url in {part.split('"')[0] for part in html.split('src="')[1:]}:
            if url.startswith("/r/img/"):
                c.get(url)
        if not errors_done:
            c.post_json(cfg["submitUrl"], {"choices": {"helpful": "left"}})  # validation error
            c.post_json(cfg["submitUrl"], {"choices": {"helpful": "left", "safe": "tie"}}, csrf=False)  # CSRF 403
            c.post_json(reverse("rater-submit", args=[slug, "not-a-real-id"]), {"choices": {}})  # 404
            errors_done = True
        if not reported:
            c.post_json(cfg["reportUrl"], {"target": "both", "reason": "identity", "note": "hm"})
            reported = True
        if not skipped and pages == 2:
            c.post_json(cfg["skipUrl"], {"reason": "other"})
            skipped = True
            continue
        c.post_json(cfg["submitUrl"], {"choices": {"helpful": "left", "safe": "tie"}})
        c.post_json(cfg["submitUrl"], {"choices": {"helpful": "left", "safe": "tie"}})  # idempotent retry
    c.get(reverse("rater-done", args=[slug]))
    assert pages >= 5
    assert Assignment.objects.filter(comparison__kind="gold", status="submitted").exists()
    # an expired lease's error
    c2 = Crawler()
    c2.get(reverse("rater-entry", args=[slug]), {"pid": "late-rater"})
    c2.post_form(reverse("rater-consent", args=[slug]), {})  # CSRF failure page (403)
    Study.objects.filter(pk=study.pk).update(redundancy=2)
    consent = c2.get(reverse("rater-consent", args=[slug]))
    c2.post_form(reverse("rater-consent", args=[slug]), {"csrfmiddlewaretoken": str(consent.context["csrf_token"])})
    page = c2.get(reverse("rater-task", args=[slug]))
    now = timezone.now()
    Assignment.objects.filter(status="leased").update(
        leased_at=now - dt.timedelta(hours=1), expires_at=now - dt.timedelta(minutes=1)
    )
    resp = c2.post_json(page.context["config"]["submitUrl"], {"choices": {"helpful": "left", "safe": "tie"}})
    assert resp.status_code == 409
    # paused and closed notices
    Study.objects.filter(pk=study.pk).update(status="paused")
    c2.get(reverse("rater-entry", args=[slug]))
    c2.get(reverse("rater-task", args=[slug]))
    Study.objects.filter(pk=study.pk).update(status="closed")
    c2.get(reverse("rater-entry", args=[slug]))

    image_responses = [r for u, r in c.seen if u.startswith("/r/img/") and r.status_code == 200]
    assert len(image_responses) >= 3  # prompt image and both output images were fetched and scanned
    json_responses = [r for _, r in c.seen + c2.seen if r.get("Content-Type", "").startswith("application/json")]
    assert len(json_responses) >= 8
    assert scan(c) + scan(c2) == []
