"""Export endpoints and pages: streaming, background jobs, owner-only downloads."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from ratings.models import Export
from ratings.tests.simulate import eager_celery, make_simulated_study  # noqa: F401 (fixture)
from tasks.tests.factories import OwnerFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sim():
    return make_simulated_study(n_prompts=3, votes_per_comparison=3, n_raters=4)


def body(response):
    return b"".join(response.streaming_content).decode()


def test_small_export_streams_directly_to_the_owner(sim, client):
    client.force_login(sim.study.owner)
    url = f"/api/studies/{sim.study.slug}/exports/stream/"
    response = client.get(url, {"format": "preferences", "min_votes": "3"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert f"{sim.study.slug}-preferences.jsonl" in response["Content-Disposition"]
    lines = [json.loads(x) for x in body(response).splitlines()]
    assert lines and all(sum(x["votes"].values()) >= 3 for x in lines)
    csv_response = client.get(url, {"format": "battles", "file_type": "csv"})
    assert body(csv_response).splitlines()[0].startswith("question_id,model_a,model_b,winner")


def test_stream_rejects_bad_filters_and_large_exports(sim, client, settings):
    client.force_login(sim.study.owner)
    url = f"/api/studies/{sim.study.slug}/exports/stream/"
    bad = client.get(url, {"format": "judgments", "min_agreement": "2"})
    assert bad.status_code == 400 and bad.json()["extra"]["field"] == "min_agreement"
    bad = client.get(url, {"format": "votes"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_format"
    settings.EVALSITE_EXPORT_STREAM_MAX_ROWS = 5
    big = client.get(url, {"format": "judgments"})
    assert big.status_code == 413 and big.json()["code"] == "export_too_large"


def test_background_export_downloadable_only_by_owners(sim, client, django_capture_on_commit_callbacks):
    client.force_login(sim.study.owner)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            f"/api/studies/{sim.study.slug}/exports/",
            {"format": "judgments", "file_type": "csv", "filters": {"exclude_gold": True}},
            content_type="application/json",
        )
    assert created.status_code == 201
    export = Export.objects.get()
    detail = client.get(f"/api/studies/{sim.study.slug}/exports/{export.pk}/").json()
    assert detail["status"] == "done" and detail["rows_done"] == detail["rows_total"] == 54
    file_url = detail["download_url"]
    response = client.get(file_url)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert len(text.strip().splitlines()) == 55 and text.startswith("judgment_id,")
    page_url = reverse("owner-export-download", args=[sim.study.slug, export.pk])
    assert client.get(page_url).status_code == 200

    client.force_login(OwnerFactory())
    assert client.get(file_url).status_code == 404
    assert client.get(page_url).status_code == 404
    assert client.get(f"/api/studies/{sim.study.slug}/exports/").status_code == 404
    client.force_login(UserFactory())  # a rater account
    assert client.get(file_url).status_code == 403
    assert client.get(page_url).status_code == 403
    client.logout()
    assert client.get(file_url).status_code == 403
    assert client.get(page_url).status_code == 302


def test_background_export_rejects_invalid_input_and_writes_nothing(sim, client):
    client.force_login(sim.study.owner)
    url = f"/api/studies/{sim.study.slug}/exports/"
    bad = client.post(url, {"format": "judgments", "filters": {"since": "soon"}}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["extra"]["field"] == "since"
    bad = client.post(url, {"format": "battles", "file_type": "jsonl"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["extra"]["field"] == "file_type"
    assert Export.objects.count() == 0


def test_exports_page_starts_an_export_and_lists_it(sim, client, django_capture_on_commit_callbacks):
    client.force_login(sim.study.owner)
    url = reverse("owner-exports", args=[sim.study.slug])
    page = client.get(url)
    assert page.status_code == 200 and b"preferences.jsonl" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"format": "preferences.jsonl", "min_votes": "2", "exclude_excluded": "on"})
    assert response.status_code == 302
    export = Export.objects.get()
    assert export.status == "done" and export.filters["min_votes"] == 2
    listing = client.get(url).content.decode()
    assert reverse("owner-export-download", args=[sim.study.slug, export.pk]) in listing
    bad = client.post(url, {"format": "preferences.jsonl", "min_agreement": "7"})
    assert bad.status_code == 400 and "min_agreement" in bad.content.decode()
    assert Export.objects.count() == 1


def test_study_page_links_to_exports_and_feedback(sim, client):
    client.force_login(sim.study.owner)
    html = client.get(reverse("owner-study", args=[sim.study.slug])).content.decode()
    assert reverse("owner-exports", args=[sim.study.slug]) in html
    assert reverse("owner-feedback", args=[sim.study.slug]) in html
