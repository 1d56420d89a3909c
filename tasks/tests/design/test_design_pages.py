"""Owner pages for study design, driven like a browser would (forms with CSRF tokens)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tasks.models import Comparison, Output, Study
from tasks.tests.design.conftest import jsonl, make_zip, png_with_metadata, text_rows
from tasks.tests.factories import OwnerFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db


def post_form(client: Client, url: str, data: dict, **extra):
    """GET the page, take its CSRF token, POST the form (as a browser does)."""
    page = client.get(url)
    assert page.status_code == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    return client.post(url, {"csrfmiddlewaretoken": token, **data}, **extra)


FORM_DEFAULTS = {
    "instructions": "Which answer is **better**?",
    "criteria": "overall | Overall | Better overall\nhelpfulness | Helpfulness |",
    "likert_scale": "0",
    "rationale": "optional",
    "rationale_min_length": "0",
    "redundancy": "3",
    "pairing": "all_pairs",
    "pairs_per_prompt": "0",
    "gold_rate": "0.1",
    "repeat_rate": "0",
    "min_seconds": "2",
    "quota_per_rater": "",
    "lease_minutes": "15",
    "access": "open",
    "completion_code": "ABC123",
    "completion_redirect_url": "",
    "gold_feedback": "on",
    "image_canvas": "pad",
    "image_canvas_width": "",
    "image_canvas_height": "",
}


def test_text_study_from_create_to_launch(browser):
    response = post_form(browser, "/studies/new/", {**FORM_DEFAULTS, "name": "Support bot", "modality": "text"})
    assert response.status_code == 302
    study = Study.objects.get(name="Support bot")
    assert study.criteria[1]["key"] == "helpfulness" and study.gold_feedback and study.min_seconds == 2

    # A broken file: the errors table lists line, field, code; nothing is written.
    rows = text_rows(3, ("alpha-one", "beta-two"))
    rows[2]["colour"] = "red"
    rows[4]["output"] = ""
    response = post_form(
        browser,
        f"/studies/{study.slug}/import/",
        {"file": SimpleUploadedFile("broken.jsonl", jsonl(rows)), "file_format": "auto"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="import-errors"' in html
    assert re.search(r"<td class=\"num\">3</td><td><code>colour</code></td><td><code>unknown_field</code>", html)
    assert re.search(r"<td class=\"num\">5</td><td><code>output</code></td><td><code>missing_output</code>", html)
    assert not Output.objects.exists()

    rows = text_rows(3, ("alpha-one", "beta-two", "gamma-three"))
    rows[1]["output"] = "我是由某公司开发的人工智能助手。"
    response = post_form(
        browser,
        f"/studies/{study.slug}/import/",
        {"file": SimpleUploadedFile("good.jsonl", jsonl(rows)), "file_format": "auto"},
    )
    assert 'id="import-summary"' in response.content.decode()
    assert Output.objects.filter(study=study).count() == 9

    page = browser.get(f"/studies/{study.slug}/outputs/?review=flagged").content.decode()
    assert "我是由某公司开发的" in page and "beta-two" in page
    leaky = Output.objects.get(study=study, leak_review="flagged")
    response = post_form(
        browser,
        f"/studies/{study.slug}/outputs/?review=flagged",
        {"output": [leaky.public_id], "decision": "exclude", "review": "flagged"},
    )
    assert response.status_code == 302
    leaky.refresh_from_db()
    assert leaky.leak_review == "excluded"

    response = post_form(
        browser,
        f"/studies/{study.slug}/gold/",
        {"form": "mark", "prompt_id": "p0", "system_a": "alpha-one", "system_b": "beta-two", "answer": "overall=a"},
    )
    assert response.status_code == 302
    assert Comparison.objects.filter(study=study, kind="gold").count() == 1

    # Launch happens on its confirmation page: a bare POST to /status/ only leads there.
    page = browser.get(f"/studies/{study.slug}/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    response = browser.post(f"/studies/{study.slug}/status/", {"csrfmiddlewaretoken": token, "action": "launch"})
    assert response.status_code == 302 and response["Location"] == f"/studies/{study.slug}/launch/"
    study.refresh_from_db()
    assert study.status == "draft"
    response = post_form(browser, f"/studies/{study.slug}/launch/", {})
    assert response.status_code == 302
    study.refresh_from_db()
    assert study.status == "live"
    html = browser.get(f"/studies/{study.slug}/").content.decode()
    # 3 prompts x 3 pairs - 2 pairs with the excluded output = 7 regular, + 1 gold
    assert '<dd id="comparisons-count">8</dd>' in html
    assert "<strong>better</strong>" in html

    # Settings page: frozen fields are disabled and cannot be changed by a crafted POST.
    edit = browser.get(f"/studies/{study.slug}/edit/").content.decode()
    assert re.search(r'name="likert_scale"[^>]*disabled', edit)
    response = post_form(
        browser,
        f"/studies/{study.slug}/edit/",
        {**FORM_DEFAULTS, "name": "Support bot v2", "modality": "text", "likert_scale": "7", "redundancy": "5"},
    )
    assert response.status_code == 302
    study.refresh_from_db()
    assert (study.name, study.redundancy, study.likert_scale) == ("Support bot v2", 5, 0)


def test_image_study_import_page_shows_images_by_opaque_url(browser):
    response = post_form(browser, "/studies/new/", {**FORM_DEFAULTS, "name": "Foxes", "modality": "image"})
    study = Study.objects.get(name="Foxes")
    assert response.status_code == 302 and study.modality == "image"
    archive = make_zip({"a.png": png_with_metadata(), "b.png": png_with_metadata((9, 9, 9))})
    rows = [
        {"prompt_id": "p1", "prompt": "A red fox in snow", "system": "secret-sdxl-v2", "image": "a.png"},
        {"prompt_id": "p1", "prompt": "A red fox in snow", "system": "flux-dev", "image": "b.png"},
    ]
    response = post_form(
        browser,
        f"/studies/{study.slug}/import/",
        {
            "file": SimpleUploadedFile("x.jsonl", jsonl(rows)),
            "images": SimpleUploadedFile("imgs.zip", archive),
            "file_format": "jsonl",
        },
    )
    assert 'id="import-summary"' in response.content.decode()
    page = browser.get(f"/studies/{study.slug}/outputs/?review=clean").content.decode()
    for output in Output.objects.filter(study=study):
        assert f'src="/r/img/{output.public_id}.png"' in page


def test_create_form_shows_field_errors(browser):
    response = post_form(
        browser,
        "/studies/new/",
        {**FORM_DEFAULTS, "name": "x", "modality": "text", "criteria": "style | Style", "gold_rate": "0.9"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "must include" in html and "between 0 and 0.5" in html
    assert not Study.objects.exists()


PAGES = [
    "/studies/{slug}/",
    "/studies/{slug}/edit/",
    "/studies/{slug}/import/",
    "/studies/{slug}/outputs/",
    "/studies/{slug}/gold/",
]


@pytest.mark.parametrize("path", PAGES)
def test_page_permissions(path):
    study = StudyFactory(status="draft")
    url = path.format(slug=study.slug)
    assert Client().get(url).status_code == 302  # anonymous -> login
    rater = Client()
    rater.force_login(UserFactory())
    assert rater.get(url).status_code == 403  # logged in but not an owner
    other = Client()
    other.force_login(OwnerFactory())
    assert other.get(url).status_code == 404
    assert other.post(url, {"action": "launch"}).status_code == 404  # another owner's study does not exist for them


def test_transition_post_by_other_owner_is_404():
    study = StudyFactory(status="draft")
    other = Client()
    other.force_login(OwnerFactory())
    assert other.post(f"/studies/{study.slug}/status/", {"action": "close"}).status_code == 404
    study.refresh_from_db()
    assert study.status == "draft"


def test_import_page_shows_job_progress_and_refreshes_while_running(browser, owner):
    from tasks.models import ImportJob

    study = StudyFactory(owner=owner, status="draft")
    ImportJob.objects.create(study=study, status="running", lines_total=200_000, lines_done=50_000)
    html = browser.get(f"/studies/{study.slug}/import/").content.decode()
    assert '<meta http-equiv="refresh" content="3">' in html
    assert '<progress max="200000" value="50000">' in html
    ImportJob.objects.update(
        status="failed", errors=[{"line": 7, "field": "system", "code": "missing_field", "message": "m"}]
    )
    html = browser.get(f"/studies/{study.slug}/import/").content.decode()
    assert 'http-equiv="refresh"' not in html and "<td>7</td><td>system</td><td>missing_field</td>" in html
