from __future__ import annotations

import pytest

from evalsite.errors import ApplicationError
from tasks.lib.markdown import render_markdown
from tasks.models import Comparison, Study
from tasks.services.studies import frozen_fields, study_create, study_transition, study_update
from tasks.tests.design.conftest import load_text_outputs

pytestmark = pytest.mark.django_db


def _fields(exc: pytest.ExceptionInfo[ApplicationError]) -> dict[str, list[str]]:
    assert exc.value.code == "invalid_settings"
    return exc.value.extra["fields"]


def _import_small(study: Study) -> None:
    load_text_outputs(study, 3, ("alpha-one", "beta-two", "gamma-three"))


def test_create_with_defaults(owner):
    study = study_create(owner=owner, name="  Support answers ")
    assert study.name == "Support answers"
    assert study.status == "draft"
    assert study.criteria[0]["key"] == "overall"
    assert study.redundancy == 3


def test_create_full_settings(owner):
    study = study_create(
        owner=owner,
        name="Images",
        modality="image",
        criteria=[{"key": "overall", "label": "Overall"}, {"key": "aesthetics", "label": "", "description": "Looks"}],
        likert_scale=7,
        rationale="required",
        rationale_min_length=20,
        redundancy=5,
        pairing="sampled",
        pairs_per_prompt=2,
        gold_rate=0.1,
        repeat_rate=0.05,
        min_seconds=4,
        quota_per_rater=50,
        lease_minutes=10,
        access="invite",
        completion_code="C0DE-1",
        completion_redirect_url="https://app.prolific.com/submissions/complete?cc=C0DE-1",
        gold_feedback=False,
    )
    assert study.criteria[1] == {"key": "aesthetics", "label": "Aesthetics", "description": "Looks"}
    assert (study.pairing, study.pairs_per_prompt, study.likert_scale) == ("sampled", 2, 7)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"name": ""}, "name"),
        ({"modality": "audio"}, "modality"),
        ({"criteria": []}, "criteria"),
        ({"criteria": [{"key": "helpfulness"}]}, "criteria"),
        ({"criteria": [{"key": "overall"}, {"key": "overall"}]}, "criteria"),
        ({"criteria": [{"key": "Bad Key"}]}, "criteria"),
        ({"likert_scale": 4}, "likert_scale"),
        ({"rationale": "maybe"}, "rationale"),
        ({"redundancy": 0}, "redundancy"),
        ({"pairing": "sampled", "pairs_per_prompt": 0}, "pairs_per_prompt"),
        ({"gold_rate": 0.9}, "gold_rate"),
        ({"repeat_rate": -0.1}, "repeat_rate"),
        ({"quota_per_rater": 0}, "quota_per_rater"),
        ({"lease_minutes": 0}, "lease_minutes"),
        ({"access": "secret"}, "access"),
        ({"completion_code": "has space"}, "completion_code"),
        ({"completion_redirect_url": "javascript:alert(1)"}, "completion_redirect_url"),
        ({"gold_feedback": "yes"}, "gold_feedback"),
    ],
)
def test_create_rejects_bad_settings_with_field_errors(owner, bad, field):
    name = bad.pop("name", "A study")
    with pytest.raises(ApplicationError) as exc:
        study_create(owner=owner, name=name, **bad)
    assert field in _fields(exc)
    assert not Study.objects.exists()


def test_create_rejects_unknown_setting(owner):
    with pytest.raises(ApplicationError) as exc:
        study_create(owner=owner, name="x", status="live")
    assert "status" in _fields(exc)


def test_update_in_draft_changes_anything(draft_text_study):
    study = study_update(study=draft_text_study, pairing="sampled", pairs_per_prompt=3, modality="image")
    assert (study.pairing, study.pairs_per_prompt, study.modality) == ("sampled", 3, "image")


def test_modality_frozen_once_outputs_exist(draft_text_study):
    _import_small(draft_text_study)
    assert "modality" in frozen_fields(study=draft_text_study)
    with pytest.raises(ApplicationError) as exc:
        study_update(study=draft_text_study, modality="image")
    assert "modality" in _fields(exc)


@pytest.mark.parametrize(
    "change",
    [
        {"criteria": [{"key": "overall"}, {"key": "style"}]},
        {"likert_scale": 5},
        {"pairing": "sampled", "pairs_per_prompt": 1},
        {"repeat_rate": 0.2},
    ],
)
def test_meaningful_settings_frozen_once_live(draft_text_study, change):
    _import_small(draft_text_study)
    study_transition(study=draft_text_study, action="launch")
    draft_text_study.refresh_from_db()
    before = {k: getattr(draft_text_study, k) for k in change}
    with pytest.raises(ApplicationError) as exc:
        study_update(study=draft_text_study, **change)
    assert set(change) & set(_fields(exc))
    draft_text_study.refresh_from_db()
    assert {k: getattr(draft_text_study, k) for k in change} == before


def test_operational_settings_still_editable_when_live(draft_text_study):
    _import_small(draft_text_study)
    study_transition(study=draft_text_study, action="launch")
    # Re-sending a frozen value unchanged is fine (forms send everything).
    study = study_update(
        study=draft_text_study, redundancy=5, gold_rate=0.2, min_seconds=3, criteria=draft_text_study.criteria
    )
    assert (study.redundancy, study.gold_rate, study.min_seconds) == (5, 0.2, 3)


def test_transitions_and_idempotence(draft_text_study):
    _import_small(draft_text_study)
    study = study_transition(study=draft_text_study, action="launch")
    assert study.status == "live" and study.launched_at
    count = Comparison.objects.filter(study=study).count()
    assert count == 9  # 3 prompts x C(3,2)
    study = study_transition(study=study, action="launch")  # retried launch: nothing new
    assert Comparison.objects.filter(study=study).count() == count
    assert study_transition(study=study, action="pause").status == "paused"
    assert study_transition(study=study, action="pause").status == "paused"
    with pytest.raises(ApplicationError) as exc:
        study_transition(study=study, action="launch")
    assert exc.value.code == "invalid_transition"
    assert study_transition(study=study, action="resume").status == "live"
    study = study_transition(study=study, action="close")
    assert study.status == "closed" and study.closed_at
    for action in ("launch", "pause", "resume"):
        with pytest.raises(ApplicationError) as exc:
            study_transition(study=study, action=action)
        assert exc.value.code == "invalid_transition"
    with pytest.raises(ApplicationError):
        study_update(study=study, redundancy=9)
    assert study_update(study=study, name="Renamed").name == "Renamed"


def test_cannot_pause_or_close_a_draft(draft_text_study):
    for action in ("pause", "resume", "close"):
        with pytest.raises(ApplicationError) as exc:
            study_transition(study=draft_text_study, action=action)
        assert exc.value.code == "invalid_transition"
    draft_text_study.refresh_from_db()
    assert draft_text_study.status == "draft"


def test_launch_without_outputs_is_refused_and_stays_draft(draft_text_study):
    with pytest.raises(ApplicationError) as exc:
        study_transition(study=draft_text_study, action="launch")
    assert exc.value.code == "nothing_to_pair"
    draft_text_study.refresh_from_db()
    assert draft_text_study.status == "draft"


def test_markdown_is_sanitized():
    html = render_markdown(
        "# Title\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
        "\n\n[ok](https://example.org)"
    )
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    # the javascript: link stays visible text (markdown-it refuses the link), never an href
    assert "<script" not in html and 'href="javascript:' not in html and "<img" not in html
    assert "&lt;script&gt;" in html  # raw HTML is shown as text, never interpreted
    assert 'href="https://example.org"' in html
