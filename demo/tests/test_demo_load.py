"""`make run`'s demo goes through the real services and can be loaded twice."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory

from demo.loader import DEMO_USERNAME, demo_load
from ratings.models import Judgment, Leaderboard, QualityEvent
from tasks.models import Output, Rater, Study


@pytest.mark.django_db(transaction=True)
def test_demo_loads_judged_studies_and_is_idempotent(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out, err = io.StringIO(), io.StringIO()
    call_command("demo_load", stdout=out, stderr=err)  # as `make run` does, output not a terminal
    # never silent: a line per step of each study, in order, ending with the leaderboards
    steps = re.findall(r"^\[(\d+)/(\d+)\] (.+): (.+?) \(\d+ s\)$", err.getvalue(), re.M)
    for name in ("Demo: assistant answers (text)", "Demo: text-to-image (images)"):
        mine = [(int(done), int(total), step) for done, total, study, step in steps if study == name]
        assert [done for done, _total, _step in mine] == list(range(1, mine[0][1] + 1))
        assert mine[-1][2] == "leaderboards computed" and any("simulated rater" in s for *_n, s in mine)
    assert "Loaded demo study: Demo: assistant answers (text)" in out.getvalue()
    username, password = (tmp_path / "demo-login.txt").read_text().split()
    first = {"username": username, "password": password, "created": re.findall("Loaded demo study", out.getvalue())}
    assert first["username"] == DEMO_USERNAME and len(first["created"]) == 2

    text = Study.objects.get(name__contains="(text)")
    images = Study.objects.get(name__contains="(images)")
    assert text.status == images.status == Study.Status.LIVE
    assert text.systems.count() >= 4 and text.prompts.count() >= 40
    assert images.systems.count() >= 4 and images.prompts.count() >= 10
    assert text.comparisons.filter(kind="gold").exists() and text.comparisons.filter(kind="repeat").exists()
    # the deliberate identity leaks were flagged by the scan and excluded in review
    assert Output.objects.filter(study=text, leak_review="excluded").count() >= 3
    assert all(o.image.name and DEMO_USERNAME not in o.image.name for o in images.outputs.all())
    assert 500 < Judgment.objects.filter(study=text).count() < text.comparisons.filter(kind="regular").count() * 3
    # the spammers in the simulated crowd are caught by the quality rules, and no honest rater is: the rules
    # are tests whose false-discovery rate over the study is 5%, on evidence that respects its clustering
    flagged = set(Rater.objects.filter(study=text, status="flagged").values_list("external_id", flat=True))
    assert {"demo-always-left", "demo-speeder"} <= flagged
    assert not any(ext.startswith("demo-honest") for ext in flagged)
    assert not Rater.objects.filter(study=images, status="flagged").exists()  # 10 judgments each: too little evidence
    # The random clicker agrees with the majority below the 40% minimum on its 40 judgments; whether that is
    # confident enough to survive the study's FDR control varies from run to run (p about 0.0005 to 0.01).
    clicker = Rater.objects.select_related("quality").get(study=text, external_id="demo-random-clicker")
    assert clicker.quality.metrics["majority_agreement"] < 0.4
    assert clicker.quality.metrics["tests"]["majority_agreement"]["judged"]
    assert clicker.quality.metrics["reliability_weight"] < 0.5  # about a coin flip on the side
    assert QualityEvent.objects.filter(study=text, action="flagged").exists()
    # leaderboards are ready when the owner first looks, best system first
    board = Leaderboard.objects.get(study=text, criterion="overall", tag="", method="bradley_terry")
    assert board.result["systems"][0]["system"] == "atlas-70b"

    calls: list[tuple] = []
    second = demo_load(progress=lambda *call: calls.append(call))
    assert second["created"] == [] and second["password"] == first["password"]
    assert calls == []  # nothing to load, nothing reported
    assert Study.objects.count() == 2

    client = Client()
    # django-axes counts every login, so authenticate() needs the request the password came with
    login_request = RequestFactory().post("/accounts/login/")
    assert client.login(request=login_request, username=DEMO_USERNAME, password=first["password"])
    assert client.get(f"/studies/{text.slug}/").status_code == 200
    # a person opening the printed rater link still finds work in both studies
    for study in (text, images):
        rater = Client()
        assert rater.get(f"/r/{study.slug}/?PROLIFIC_PID=5f1c0ffee0ddba11deadbeef").status_code == 302
        rater.post(f"/r/{study.slug}/start/")
        task = rater.get(f"/r/{study.slug}/task/")
        assert task.status_code == 200 and 'id="judge-form"' in task.content.decode()
