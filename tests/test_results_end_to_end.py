"""Results across apps: exported battles give evalsite's own leaderboard; excluding a rater moves it, deletes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from django.db.models import F

from ratings.models import Judgment, JudgmentChoice, Leaderboard, QualityEvent
from ratings.selectors.feedback import blind_leaderboard
from ratings.selectors.leaderboard import leaderboard_snapshot
from ratings.selectors.quality import study_agreement
from ratings.services.leaderboard import leaderboard_recompute
from ratings.services.quality import rater_quality_action
from ratings.tests.simulate import eager_celery, make_simulated_study  # noqa: F401 (fixture)
from ratings.tests.test_exports import export_text, fastchat_style_mle
from tasks.models import Output, Rater

pytestmark = pytest.mark.django_db


def stored_scores(study) -> dict[str, float]:
    snapshot = leaderboard_snapshot(study=study, criterion="overall")
    return {row["system"]: row["score"] for row in snapshot.result["systems"]}


def test_fastchat_style_ratings_from_exported_battles_match_the_stored_leaderboard(tmp_path):
    sim = make_simulated_study(n_prompts=12, votes_per_comparison=5, n_raters=8, tie_rate=0.2)
    # The owner excluded one output after judgments came in: both the leaderboard and the exports leave
    # out the comparisons it is in (by default), so the exported battles still give the same ratings.
    Output.objects.filter(pk=sim.comparisons[0].output_a_id).update(leak_review=Output.LeakReview.EXCLUDED)
    leaderboard_recompute(study_id=sim.study.id)
    ours = stored_scores(sim.study)
    # The online-feedback page compares against the Bradley-Terry snapshot, never the Elo one beside it.
    elo = Leaderboard.objects.filter(study=sim.study, criterion="overall", tag="", method="elo")
    assert elo.update(computed_at=F("computed_at") + dt.timedelta(seconds=1)) == 1  # even when Elo is newer
    assert blind_leaderboard(study=sim.study) == pytest.approx(ours)

    path = tmp_path / "battles.json"
    path.write_text(export_text(sim.study, "battles", exclude_gold=True, exclude_repeat=True))
    battles = pd.read_json(path, orient="records")
    snapshot = leaderboard_snapshot(study=sim.study, criterion="overall")
    assert len(battles) == snapshot.n_judgments < JudgmentChoice.objects.filter(study=sim.study).count()
    theirs = fastchat_style_mle(battles)
    assert set(theirs) == set(ours)
    # Same conventions (scale 400, base 10, ties half a win, centred at 1000): the same numbers.
    shift = sum(ours.values()) / len(ours) - sum(theirs.values()) / len(theirs)
    for system, score in ours.items():
        assert score == pytest.approx(theirs[system] + shift, abs=1.0), system


def test_excluding_a_rater_changes_leaderboard_and_alpha_and_deletes_nothing(
    eager_celery,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    sim = make_simulated_study(n_prompts=10, votes_per_comparison=3, n_raters=6)
    # One rater turns into a contrarian: always the weaker side of the simulated truth.
    contrarian = sim.raters[0]
    for judgment in Judgment.objects.filter(rater=contrarian).select_related(
        "comparison__output_a__system", "comparison__output_b__system"
    ):
        a, b = judgment.comparison.output_a.system.name, judgment.comparison.output_b.system.name
        weaker = "a" if a > b else "b"  # names sort alpha < bravo < charlie < delta = strongest first
        judgment.choices.update(choice=weaker)
    leaderboard_recompute(study_id=sim.study.id)
    before_scores = stored_scores(sim.study)
    before_alpha = study_agreement(study=sim.study, criterion="overall", n_boot=50)["alpha"]
    n_judgments = Judgment.objects.filter(study=sim.study).count()

    owner = sim.study.owner
    with django_capture_on_commit_callbacks(execute=True):
        rater_quality_action(study=sim.study, rater_id=contrarian.id, action="exclude", user=owner, reason="contrarian")

    after_scores = stored_scores(sim.study)  # the exclusion recomputes the leaderboard (eager jobs here)
    after_alpha = study_agreement(study=sim.study, criterion="overall", n_boot=50)["alpha"]
    assert Judgment.objects.filter(study=sim.study).count() == n_judgments  # kept, never deleted
    assert Rater.objects.get(pk=contrarian.pk).excluded
    assert QualityEvent.objects.filter(rater=contrarian, action="excluded").exists()
    assert after_alpha > before_alpha
    spread = lambda s: s["alpha"] - s["delta"]  # noqa: E731
    assert spread(after_scores) > spread(before_scores)
    snapshot = leaderboard_snapshot(study=sim.study, criterion="overall")
    assert snapshot.n_judgments < n_judgments
    # The export leaves the excluded rater out by default too.
    rows = [json.loads(line) for line in export_text(sim.study, "judgments").splitlines()]
    assert len(rows) == n_judgments - Judgment.objects.filter(rater=contrarian).count()
