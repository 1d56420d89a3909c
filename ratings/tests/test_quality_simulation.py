"""Done-when: simulated spammers are flagged by the rules, honest raters are not; exclusion changes alpha
and deletes nothing."""

from __future__ import annotations

import itertools

import pytest

from ratings.models import Judgment, JudgmentChoice, QualityEvent, RaterQuality
from ratings.selectors import quality as selectors
from ratings.services import quality as services
from ratings.tests.simulate import comparisons_add_gold_and_repeats, simulate_judgments
from tasks.models import Comparison, Output, Rater, Study
from tasks.tests.factories import make_study_with_outputs

pytestmark = pytest.mark.django_db


def _study_with_comparisons(*, seed: int = 0, **study_kwargs: object) -> Study:
    study = make_study_with_outputs(n_systems=4, n_prompts=10, **study_kwargs)
    rows = []
    for prompt_id in study.prompts.values_list("id", flat=True):
        outputs = list(Output.objects.filter(prompt_id=prompt_id).order_by("id"))
        for a, b in itertools.combinations(outputs, 2):
            rows.append(Comparison(study=study, prompt_id=prompt_id, output_a=a, output_b=b))
    Comparison.objects.bulk_create(rows)
    comparisons_add_gold_and_repeats(study=study, n_gold=10, n_repeat=10, seed=seed)
    return study


@pytest.fixture
def simulated() -> tuple[Study, dict[str, str]]:
    study = _study_with_comparisons()
    result = simulate_judgments(study=study, n_honest=8, seed=1)
    return study, result["raters"]


def _by_kind(raters: dict[str, str]) -> dict[str, Rater]:
    return {kind: Rater.objects.get(external_id=ext) for ext, kind in raters.items() if kind != "honest"}


def test_simulation_respects_constraints_and_counts(simulated: tuple[Study, dict[str, str]]) -> None:
    study, raters = simulated
    assert len(raters) == 11
    # 60 regular + 10 gold + 10 repeats per rater.
    assert Judgment.objects.filter(study=study).count() == 11 * 80
    assert JudgmentChoice.objects.filter(study=study).count() == 11 * 80
    regular = Comparison.objects.filter(study=study, kind="regular").first()
    assert regular.judgment_count == 11


def test_rules_flag_spammers_and_not_honest_raters(simulated: tuple[Study, dict[str, str]]) -> None:
    study, raters = simulated
    counts = services.quality_recompute(study=study)
    assert counts["raters"] == 11
    spammers = _by_kind(raters)
    flagged = set(Rater.objects.filter(study=study, status="flagged").values_list("external_id", flat=True))
    assert flagged == {r.external_id for r in spammers.values()}
    stored = {kind: RaterQuality.objects.get(rater=r).metrics for kind, r in spammers.items()}
    fired = {kind: set(m["rules_fired"]) for kind, m in stored.items()}
    # 80 judgments: the random clicker's 70 majority items carry the evidence; its 10 gold items alone do
    # not survive the study's false-discovery control, but they point the same way
    assert "majority_agreement" in fired["random"]
    assert stored["random"]["tests"]["gold_accuracy"]["p"] < 0.1
    assert "position_bias" in fired["left"]
    assert "too_fast" in fired["fast"]
    # every judged test carries its p-value and its q-value over the study's family
    tests = stored["left"]["tests"]["position_bias"]
    assert tests["judged"] and tests["q"] < 1e-6 and tests["n"] == stored["left"]["n_decisive"]
    # Every flag was recorded with the rule and a reason.
    events = QualityEvent.objects.filter(study=study, action="flagged")
    assert events.count() == 3
    assert all(e.rule and e.reason and e.by_user is None for e in events)
    # Honest raters look honest in the numbers too.
    for ext, kind in raters.items():
        if kind == "honest":
            m = RaterQuality.objects.get(rater__external_id=ext).metrics
            assert m["rules_fired"] == []
            assert m["gold_accuracy"] >= 0.7 and m["majority_agreement"] > 0.6
            assert m["self_consistency"] > 0.6 and m["n_repeat"] == 10
            assert m["reliability_weight"] > 0.6 and m["min_q"] > 0.05
    # Idempotent: a second run flags nobody again and writes no new event.
    assert services.quality_recompute(study=study)["flagged"] == 0
    assert QualityEvent.objects.filter(study=study).count() == 3


def test_auto_block_blocks_flagged_raters() -> None:
    study = _study_with_comparisons(seed=2)
    study.quality_rules = {**study.quality_rules, "auto_block": True}
    study.save(update_fields=["quality_rules"])
    result = simulate_judgments(study=study, n_honest=6, spammers=("fast",), seed=3)
    services.quality_recompute(study=study)
    fast = next(ext for ext, kind in result["raters"].items() if kind == "fast")
    assert Rater.objects.get(external_id=fast).status == "blocked"
    assert list(QualityEvent.objects.filter(rater__external_id=fast).values_list("action", flat=True)) == [
        "blocked",
        "flagged",
    ]
    assert not Rater.objects.filter(study=study, status="blocked").exclude(external_id=fast).exists()


def test_exclusion_changes_alpha_and_deletes_nothing(
    simulated: tuple[Study, dict[str, str]], django_capture_on_commit_callbacks
) -> None:
    study, raters = simulated
    owner = study.owner
    before = selectors.study_agreement(study=study, n_boot=200)
    n_judgments, n_choices = Judgment.objects.count(), JudgmentChoice.objects.count()
    spammers = _by_kind(raters)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for rater in spammers.values():
            services.rater_quality_action(
                study=study, rater_id=rater.id, action="exclude", user=owner, reason="spam test"
            )
    assert callbacks  # the recompute job and the results hook were queued after commit
    after = selectors.study_agreement(study=study, n_boot=200)
    assert after["alpha"] > before["alpha"] + 0.05
    assert after["n_raters"] == before["n_raters"] - 3
    assert (Judgment.objects.count(), JudgmentChoice.objects.count()) == (n_judgments, n_choices)
    assert QualityEvent.objects.filter(action="excluded", by_user=owner).count() == 3
    # The recompute ran eagerly: metrics exist for everyone.
    assert RaterQuality.objects.filter(study=study).count() == 11
    # Including again restores the original alpha exactly.
    for rater in spammers.values():
        services.rater_quality_action(study=study, rater_id=rater.id, action="include", user=owner)
    assert selectors.study_agreement(study=study, n_boot=200)["alpha"] == pytest.approx(before["alpha"])
    # include_excluded=True reads the excluded raters too.
    services.rater_quality_action(study=study, rater_id=spammers["random"].id, action="exclude", user=owner)
    assert selectors.study_agreement(study=study, n_boot=10, include_excluded=True)["alpha"] == pytest.approx(
        before["alpha"]
    )


def test_owner_actions_transitions_and_idempotency(simulated: tuple[Study, dict[str, str]]) -> None:
    study, raters = simulated
    rater = _by_kind(raters)["random"]
    owner = study.owner
    services.rater_quality_action(study=study, rater_id=rater.id, action="flag", user=owner, reason="looks odd")
    services.rater_quality_action(study=study, rater_id=rater.id, action="flag", user=owner)  # no-op
    assert QualityEvent.objects.filter(rater=rater).count() == 1
    services.rater_quality_action(study=study, rater_id=rater.id, action="block", user=owner)
    rater.refresh_from_db()
    assert rater.status == "blocked"
    from evalsite.errors import ApplicationError

    with pytest.raises(ApplicationError, match="Cannot unflag"):
        services.rater_quality_action(study=study, rater_id=rater.id, action="unflag", user=owner)
    with pytest.raises(ApplicationError, match="Unknown action"):
        services.rater_quality_action(study=study, rater_id=rater.id, action="delete", user=owner)
    assert QualityEvent.objects.filter(rater=rater).count() == 2
    services.rater_quality_action(study=study, rater_id=rater.id, action="unblock", user=owner)
    # The owner cleared this rater: the rules leave it alone from now on.
    services.quality_recompute(study=study)
    rater.refresh_from_db()
    assert rater.status == "active"
    assert list(QualityEvent.objects.filter(rater=rater).values_list("action", flat=True)) == [
        "unblocked",
        "blocked",
        "flagged",
    ]


def test_per_criterion_tag_and_likert_agreement() -> None:
    study = _study_with_comparisons(
        likert_scale=5,
        criteria=[{"key": "overall", "label": "Overall"}, {"key": "style", "label": "Style"}],
    )
    first = study.prompts.order_by("id").first()
    first.tags = ["math"]
    first.save(update_fields=["tags"])
    simulate_judgments(study=study, n_honest=5, spammers=(), seed=4)
    overview = selectors.study_agreement_by_criterion(study=study, n_boot=50)
    assert [a["criterion"] for a in overview] == ["overall", "style"]
    assert all(a["alpha"] is not None and a["alpha"] > 0.5 for a in overview), [a["alpha"] for a in overview]
    assert overview[0]["likert"]["ordinal"]["alpha"] is not None
    tagged = selectors.study_agreement(study=study, tag="math", n_boot=50)
    expected = Comparison.objects.filter(prompt=first, kind__in=["regular", "gold"]).count()
    assert expected >= 6
    assert tagged["n_units"] == expected  # the prompt's regular pairs and gold items; repeats are left out


def test_rule_label_fits_the_event_field() -> None:
    names = ["gold_accuracy", "too_fast", "majority_agreement", "straight_lining", "position_bias"]
    label = services._rule_label(names)
    assert len(label) <= 50 and label.endswith("+") and label.startswith("gold_accuracy,too_fast")
    assert services._rule_label(["too_fast"]) == "too_fast"


def test_agreement_cache_is_fresh_after_new_judgments(
    simulated: tuple[Study, dict[str, str]], django_assert_max_num_queries
) -> None:
    study, _ = simulated
    first = selectors.study_agreement(study=study, n_boot=20)
    with django_assert_max_num_queries(3):  # cached: only the stamp queries
        assert selectors.study_agreement(study=study, n_boot=20)["alpha"] == first["alpha"]
    simulate_judgments(study=study, n_honest=0, spammers=("random", "random", "random"), seed=9)
    assert selectors.study_agreement(study=study, n_boot=20)["n_raters"] == first["n_raters"] + 3


def test_periodic_job_queues_live_studies_only(simulated: tuple[Study, dict[str, str]], settings) -> None:
    from evalsite.celery import app
    from ratings import jobs

    entry = settings.CELERY_BEAT_SCHEDULE["ratings-quality-recompute"]
    assert entry["task"] == jobs.quality_recompute_live_studies.name
    assert entry["task"] in app.tasks
    study, _ = simulated
    paused = _study_with_comparisons(seed=5, status=Study.Status.PAUSED)
    assert jobs.quality_recompute_live_studies.delay().get() == 1  # eager without a broker
    assert RaterQuality.objects.filter(study=study).count() == 11
    assert not RaterQuality.objects.filter(study=paused).exists()
    assert jobs.quality_recompute_study.delay(999_999).get() == {"raters": 0, "flagged": 0, "blocked": 0}


def test_simulate_raters_command() -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    study = _study_with_comparisons(seed=6)
    out = StringIO()
    study.status = Study.Status.LIVE
    study.save(update_fields=["status"])
    call_command(
        "simulate_raters", study.slug, "--honest", "4", "--spammers", "speeder", "--per-rater", "30", stdout=out
    )
    assert "150 judgments from 5 raters; 1 flagged" in out.getvalue()
    assert Rater.objects.get(study=study, external_id__endswith="-speeder").status == "flagged"
    with pytest.raises(CommandError, match="unknown spammer behaviour lazy"):
        call_command("simulate_raters", study.slug, "--spammers", "lazy")
    with pytest.raises(CommandError, match="no study"):
        call_command("simulate_raters", "nope")
    assert Judgment.objects.filter(study=study).count() == 150
    paused = _study_with_comparisons(seed=7, status=Study.Status.PAUSED)
    with pytest.raises(CommandError, match="simulated raters need a live study"):
        call_command("simulate_raters", paused.slug)
