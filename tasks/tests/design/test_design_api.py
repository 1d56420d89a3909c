"""The study-design REST API, used the way the OpenAPI docs describe it."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tasks.models import Comparison, Output, Study
from tasks.tests.design.conftest import jsonl, make_zip, png_with_metadata, text_rows
from tasks.tests.factories import OwnerFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(owner):
    client = APIClient()
    client.force_login(owner)
    return client


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def test_full_text_flow(api):
    response = api.post(
        "/api/studies/create/",
        {
            "name": "Support answers",
            "instructions": "Pick the **better** answer.",
            "criteria": [{"key": "overall", "label": "Overall"}, {"key": "helpfulness", "label": "Helpful"}],
            "repeat_rate": 0.1,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    study = response.json()
    slug = study["slug"]
    assert study["status"] == "draft" and "<strong>better</strong>" in study["instructions_html"]
    assert study["rater_link"].endswith(f"/r/{slug}/")

    rows = text_rows(4, ("alpha-one", "beta-two", "gamma-three"))
    rows[0]["output"] = "As an AI developed by OpenAI, I say..."
    response = api.post(f"/api/studies/{slug}/import/", {"file": upload("outputs.jsonl", jsonl(rows))})
    assert response.status_code == 201, response.json()
    assert response.json()["outputs_created"] == 12 and response.json()["flagged"] == 1

    flagged = api.get(f"/api/studies/{slug}/outputs/?leak_review=flagged").json()
    assert flagged["count"] == 1
    item = flagged["results"][0]
    assert item["leak_flags"] and item["system"] == "alpha-one" and item["prompt_id"] == "p0"

    response = api.post(f"/api/studies/{slug}/launch/")
    assert response.status_code == 400 and response.json()["code"] == "leaks_unreviewed"

    response = api.post(
        f"/api/studies/{slug}/outputs/review/", {"outputs": [item["public_id"]], "decision": "exclude"}, format="json"
    )
    assert response.json() == {"outputs": 1, "comparisons_changed": 0}

    response = api.post(
        f"/api/studies/{slug}/gold/mark/",
        {"prompt_id": "p1", "system_a": "alpha-one", "system_b": "beta-two", "answer": {"overall": "b"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    gold = response.json()
    assert {gold["system_a"], gold["system_b"]} == {"alpha-one", "beta-two"}
    assert gold["answer"]["overall"] == ("b" if gold["system_a"] == "alpha-one" else "a")

    response = api.post(f"/api/studies/{slug}/launch/")
    assert response.status_code == 200 and response.json()["status"] == "live"
    assert "criteria" in response.json()["frozen_fields"]
    counts = api.get(f"/api/studies/{slug}/comparisons/counts/").json()
    # 4 prompts x 3 pairs, minus the 2 pairs of the excluded output = 10 regular; 1 repeat; 1 gold
    assert counts == {"total": 12, "active": 12, "regular": 10, "gold": 1, "repeat": 1}
    assert api.post(f"/api/studies/{slug}/launch/").status_code == 200  # idempotent
    assert api.get(f"/api/studies/{slug}/comparisons/counts/").json()["total"] == 12

    response = api.post(f"/api/studies/{slug}/update/", {"likert_scale": 5}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_settings" and "likert_scale" in response.json()["extra"]["fields"]
    assert api.post(f"/api/studies/{slug}/update/", {"redundancy": 5}, format="json").json()["redundancy"] == 5

    assert api.post(f"/api/studies/{slug}/pause/").json()["status"] == "paused"
    assert api.post(f"/api/studies/{slug}/resume/").json()["status"] == "live"
    assert api.post(f"/api/studies/{slug}/close/").json()["status"] == "closed"
    response = api.post(f"/api/studies/{slug}/resume/")
    assert response.status_code == 400 and response.json()["code"] == "invalid_transition"


def test_create_validation_errors_are_field_errors(api):
    response = api.post(
        "/api/studies/create/", {"name": "x", "likert_scale": 4, "criteria": [{"key": "style"}]}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_settings"
    assert {"likert_scale", "criteria"} <= set(body["extra"]["fields"])
    assert not Study.objects.exists()
    response = api.post("/api/studies/create/", {"modality": "text"}, format="json")
    assert response.status_code == 400 and "name" in response.json()["extra"]["fields"]


def test_broken_import_lists_errors_and_writes_nothing(api, draft_text_study):
    rows = text_rows(2)
    rows[1]["colour"] = "red"
    rows[3].pop("output")
    response = api.post(f"/api/studies/{draft_text_study.slug}/import/", {"file": upload("x.jsonl", jsonl(rows))})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_invalid"
    assert {(e["line"], e["field"], e["code"]) for e in body["extra"]["errors"]} == {
        (2, "colour", "unknown_field"),
        (4, "output", "missing_output"),
    }
    assert not Output.objects.exists()


def test_image_import_and_served_image(api, draft_image_study):
    archive = make_zip({"img/a.png": png_with_metadata(), "img/b.png": png_with_metadata((1, 2, 3))})
    rows = [
        {"prompt_id": "p1", "prompt": "fox", "system": "secret-sdxl-v2", "image": "img/a.png"},
        {"prompt_id": "p1", "prompt": "fox", "system": "other-gen", "image": "img/b.png"},
    ]
    response = api.post(
        f"/api/studies/{draft_image_study.slug}/import/",
        {"file": upload("x.jsonl", jsonl(rows)), "images": upload("imgs.zip", archive)},
    )
    assert response.status_code == 201, response.json()
    outputs = api.get(f"/api/studies/{draft_image_study.slug}/outputs/").json()["results"]
    url = outputs[0]["image_url"]
    assert url.startswith("/r/img/") and url.endswith(".png")
    image = api.get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


def test_large_import_answers_202_with_job(api, draft_text_study, settings, django_capture_on_commit_callbacks):
    settings.EVALSITE_IMPORT_ASYNC_LINES = 3
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/studies/{draft_text_study.slug}/import/",
            {"file": upload("x.csv", b"prompt_id,prompt,system,output\np1,Q,a-sys,A\np1,Q,b-sys,B\np2,Q2,a-sys,C\n")},
        )
    assert response.status_code == 202, response.json()
    job = response.json()
    assert job["file_format"] == "csv"
    status = api.get(job["status_url"]).json()
    assert status["status"] == "done" and status["lines_done"] == status["lines_total"] == 4
    assert status["summary"]["outputs_created"] == 3


def test_gold_file_upload_and_unmark(api, draft_text_study):
    from tasks.tests.design.conftest import load_text_outputs

    load_text_outputs(draft_text_study, 2)
    gold = jsonl(
        [
            {"prompt_id": "p0", "system_a": "alpha-one", "system_b": "beta-two", "answer": {"overall": "a"}},
            {"prompt_id": "p1", "system_a": "alpha-one", "system_b": "ghost", "answer": "a"},
        ]
    )
    response = api.post(f"/api/studies/{draft_text_study.slug}/gold/import/", {"file": upload("g.jsonl", gold)})
    assert response.status_code == 400
    assert response.json()["extra"]["errors"][0] | {"message": ""} == {
        "line": 2,
        "field": "system_b",
        "code": "invalid_gold",
        "message": "",
    }
    assert not Comparison.objects.exists()
    gold = b'prompt_id,system_a,system_b,answer,explanation\np0,alpha-one,beta-two,"{""overall"": ""a""}",Why\n'
    response = api.post(f"/api/studies/{draft_text_study.slug}/gold/import/", {"file": upload("g.csv", gold)})
    assert response.status_code == 201 and response.json() == {"gold_marked": 1}
    listed = api.get(f"/api/studies/{draft_text_study.slug}/gold/").json()
    assert len(listed) == 1 and listed[0]["explanation"] == "Why"
    response = api.post(
        f"/api/studies/{draft_text_study.slug}/gold/unmark/", {"comparison": listed[0]["public_id"]}, format="json"
    )
    assert response.status_code == 204 and not Comparison.objects.exists()


ENDPOINTS = [
    ("get", "/api/studies/{slug}/"),
    ("post", "/api/studies/{slug}/update/"),
    ("post", "/api/studies/{slug}/launch/"),
    ("post", "/api/studies/{slug}/pause/"),
    ("post", "/api/studies/{slug}/resume/"),
    ("post", "/api/studies/{slug}/close/"),
    ("post", "/api/studies/{slug}/import/"),
    ("get", "/api/studies/{slug}/imports/1/"),
    ("get", "/api/studies/{slug}/outputs/"),
    ("post", "/api/studies/{slug}/outputs/review/"),
    ("get", "/api/studies/{slug}/gold/"),
    ("post", "/api/studies/{slug}/gold/mark/"),
    ("post", "/api/studies/{slug}/gold/unmark/"),
    ("post", "/api/studies/{slug}/gold/import/"),
    ("get", "/api/studies/{slug}/comparisons/counts/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_permissions(method, path):
    study = StudyFactory(status="draft")
    url = path.format(slug=study.slug)
    anonymous = APIClient()
    assert getattr(anonymous, method)(url).status_code == 403  # session auth first: no WWW-Authenticate, so 403
    rater = APIClient()
    rater.force_login(UserFactory())
    assert getattr(rater, method)(url).status_code == 403
    other = APIClient()
    other.force_login(OwnerFactory())
    response = getattr(other, method)(url, {}, format="json") if method == "post" else other.get(url)
    assert response.status_code == 404
    assert set(response.json()) == {"message", "code", "extra"}
    study.refresh_from_db()
    assert study.status == "draft"


def test_create_and_list_need_owner():
    rater = APIClient()
    rater.force_login(UserFactory())
    assert rater.post("/api/studies/create/", {"name": "x"}, format="json").status_code == 403
    assert rater.get("/api/studies/").status_code == 403
    assert not Study.objects.exists()


def test_list_shows_only_own_studies(api, owner):
    mine = StudyFactory(owner=owner)
    StudyFactory()
    assert [s["slug"] for s in api.get("/api/studies/").json()] == [mine.slug]


def test_openapi_schema_documents_every_design_endpoint(api):
    schema = api.get("/api/schema/?format=json").json()
    for _method, path in ENDPOINTS:
        assert path.replace("{slug}", "{slug}").replace("/1/", "/{job_id}/") in schema["paths"]
    assert "/api/studies/create/" in schema["paths"]
    import_op = schema["paths"]["/api/studies/{slug}/import/"]["post"]
    assert "multipart/form-data" in import_op["requestBody"]["content"]
    assert {"201", "202", "400"} <= set(import_op["responses"])
    docs = api.get("/api/docs/")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()


def test_outputs_list_has_no_n_plus_one(api, draft_text_study, django_assert_max_num_queries):
    from tasks.tests.design.conftest import load_text_outputs

    load_text_outputs(draft_text_study, 10, ("a-sys", "b-sys", "c-sys"))
    with django_assert_max_num_queries(8):
        response = api.get(f"/api/studies/{draft_text_study.slug}/outputs/")
    assert response.json()["count"] == 30


def test_import_file_object_accepted(draft_text_study):
    from tasks.services.imports import import_outputs

    assert import_outputs(study=draft_text_study, data=io.BytesIO(jsonl(text_rows(1)))).summary["outputs_created"] == 2
