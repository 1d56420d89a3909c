"""A rater's identity report cannot break the owner's outputs API: every leak flag has one shape."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import Output
from tasks.services.blinding import LEAK_FLAG_KINDS, leak_flag
from tasks.tests.factories import ComparisonFactory, StudyFactory

pytestmark = pytest.mark.django_db


def rater_reports_left_output(study) -> Client:
    client = Client()
    assert client.get(reverse("rater-entry", args=[study.slug]), {"pid": "worker-1"}).status_code == 302
    page = client.get(reverse("rater-consent", args=[study.slug]))
    client.post(reverse("rater-consent", args=[study.slug]), {"csrfmiddlewaretoken": str(page.context["csrf_token"])})
    task = client.get(reverse("rater-task", args=[study.slug]))
    assert task.status_code == 200
    config = task.context["config"]
    token = str(task.context["csrf_token"])
    response = client.post(
        config["reportUrl"],
        json.dumps({"target": "left", "reason": "identity", "note": "it says it is Claude"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200, response.content
    return client


def test_outputs_api_answers_after_a_rater_identity_report():
    study = StudyFactory()
    ComparisonFactory(study=study, output_a__text="A plain answer.", output_b__text="Another plain answer.")
    rater_reports_left_output(study)
    owner = Client()
    owner.force_login(study.owner)
    response = owner.get(reverse("api-study-outputs", args=[study.slug]))
    assert response.status_code == 200, response.content[:500]
    flagged = [o for o in response.json()["results"] if o["leak_flags"]]
    assert len(flagged) == 1 and flagged[0]["leak_review"] == "flagged"
    assert flagged[0]["leak_flags"] == [{"kind": "rater_report", "match": "it says it is Claude"}]
    # the owner's outputs page shows it too
    page = owner.get(reverse("owner-study-outputs", args=[study.slug]))
    assert page.status_code == 200 and b"it says it is Claude" in page.content


def test_scan_flags_and_report_flags_share_one_definition():
    from tasks.services.blinding import leak_scan

    scanned = leak_scan(text="I am ChatGPT.", system_names=[])
    assert scanned and all(set(f) == {"kind", "match"} and f["kind"] in LEAK_FLAG_KINDS for f in scanned)
    reported = leak_flag(kind="rater_report", match="x" * 200, report_id=3)
    assert reported["kind"] == "rater_report" and len(reported["match"]) == 80 and reported["report_id"] == 3
    with pytest.raises(ValueError):
        leak_flag(kind="guess", match="x")


def test_migration_repairs_flags_written_in_the_old_shape():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("tasks.migrations.0004_study_image_canvas_and_leak_findings")
    study = StudyFactory()
    comparison = ComparisonFactory(study=study)
    Output.objects.filter(pk=comparison.output_a_id).update(
        leak_review="flagged", leak_flags=[{"source": "rater_report", "reason": "identity", "report_id": 1}]
    )
    migration.leak_flags_one_shape(apps, None)
    flags = Output.objects.get(pk=comparison.output_a_id).leak_flags
    assert flags[0]["kind"] == "rater_report" and flags[0]["match"] and flags[0]["report_id"] == 1
