"""Leaderboard counts from the database, the recompute service, the job and its debounced scheduler."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratings.jobs import leaderboard_recompute_job
from ratings.models import Leaderboard
from ratings.selectors.leaderboard import LeaderboardOptions, leaderboard_counts, leaderboard_tag_counts
from ratings.services.leaderboard import leaderboard_recompute, leaderboard_schedule_recompute
from ratings.tests.leaderboard_helpers import add_votes, comparison, make_study
from tasks.models import Output

pytestmark = pytest.mark.django_db

FAST = LeaderboardOptions(rounds=40)


def _counts(study, **opts):
    rows = leaderboard_counts(study=study, options=LeaderboardOptions(**opts))
    names = dict(study.systems.values_list("id", "name"))
    return {(c, names[a], names[b], ch): n for c, a, b, ch, n in rows}


@pytest.fixture
def study():
    s = make_study(systems=["alpha", "beta", "gamma"], prompts={"p0": ["math"], "p1": ["code", "math"], "p2": []})
    add_votes(comparison(s, "alpha", "beta"), {"a": 5, "b": 2, "tie": 1, "both_bad": 1})
    add_votes(comparison(s, "beta", "gamma", prompt="p1"), {"a": 4, "b": 1})
    add_votes(comparison(s, "alpha", "gamma", prompt="p2"), {"a": 3, "tie": 2})
    return s


def test_counts_group_by_pair_and_choice(study):
    counts = _counts(study)
    assert counts[("overall", "alpha", "beta", "a")] == 5
    assert counts[("overall", "alpha", "beta", "both_bad")] == 1
    assert counts[("overall", "beta", "gamma", "b")] == 1
    assert sum(counts.values()) == 19


def test_excluded_and_flagged_raters_gold_repeat_and_excluded_outputs(study):
    add_votes(comparison(study, "alpha", "beta"), {"b": 7}, rater_excluded=True)
    add_votes(comparison(study, "alpha", "beta"), {"b": 3}, rater_status="flagged")
    add_votes(comparison(study, "alpha", "beta", kind="gold"), {"b": 4})
    add_votes(comparison(study, "alpha", "beta", kind="repeat"), {"a": 6})
    base = _counts(study)
    assert base[("overall", "alpha", "beta", "b")] == 2 + 3  # excluded raters, gold and repeats left out
    assert _counts(study, exclude_flagged_raters=True)[("overall", "alpha", "beta", "b")] == 2
    assert _counts(study, include_excluded_raters=True)[("overall", "alpha", "beta", "b")] == 12
    assert _counts(study, kinds=("regular", "gold"))[("overall", "alpha", "beta", "b")] == 9
    assert _counts(study, kinds=("regular", "repeat"))[("overall", "alpha", "beta", "a")] == 5 + 6
    Output.objects.filter(study=study, system__name="gamma", prompt__external_id="p2").update(leak_review="excluded")
    assert ("overall", "alpha", "gamma", "a") not in _counts(study)
    assert _counts(study, include_excluded_outputs=True)[("overall", "alpha", "gamma", "a")] == 3
    assert ("overall", "alpha", "beta", "both_bad") not in _counts(study, both_bad="drop")


def test_tag_counts_unnest_prompt_tags_in_one_query(study):
    with CaptureQueriesContext(connection) as ctx:
        rows = leaderboard_tag_counts(study=study, options=LeaderboardOptions())
    reads = [q for q in ctx.captured_queries if "ratings_judgmentchoice" in q["sql"]]
    assert len(reads) == 1  # one aggregate query (plus transaction bookkeeping)
    names = dict(study.systems.values_list("id", "name"))
    by = {(c, t, names[a], names[b], ch): n for c, t, a, b, ch, n in rows}
    assert by[("overall", "math", "alpha", "beta", "a")] == 5  # p0
    assert by[("overall", "math", "beta", "gamma", "a")] == 4  # p1 counts for math and code
    assert by[("overall", "code", "beta", "gamma", "a")] == 4
    assert not any(t == "" for _, t, *_ in rows)  # untagged p2 is only in the all-prompts table


def test_recompute_stores_each_criterion_and_tag_and_is_idempotent(study):
    study.criteria = [{"key": "overall", "label": "Overall"}, {"key": "style", "label": "Style"}]
    study.save()
    add_votes(comparison(study, "alpha", "gamma"), {"b": 2}, criteria=("overall", "style"))
    first = leaderboard_recompute(study_id=study.id, options=FAST)
    keys = {(s.criterion, s.tag, s.method) for s in first}
    assert keys == {
        ("overall", "", "bradley_terry"),
        ("overall", "math", "bradley_terry"),
        ("overall", "code", "bradley_terry"),
        ("overall", "", "elo"),
        ("style", "", "bradley_terry"),
        ("style", "math", "bradley_terry"),
        ("style", "", "elo"),
    }
    overall = Leaderboard.objects.get(study=study, criterion="overall", tag="", method="bradley_terry")
    assert overall.n_judgments == 21
    assert overall.params["rounds"] == 40 and overall.params["both_bad"] == "tie"
    top = overall.result["systems"][0]
    assert top["system"] == "alpha" and top["lower"] <= top["score"] <= top["upper"]
    assert {r["system"] for r in overall.result["systems"]} == {"alpha", "beta", "gamma"}
    assert "elo" in top
    second = leaderboard_recompute(study_id=study.id, options=FAST)
    assert len(second) == len(first) == Leaderboard.objects.filter(study=study).count()
    again = Leaderboard.objects.get(pk=overall.pk)
    assert again.result == overall.result  # seeded bootstrap: same data, same snapshot
    # a criterion removed from the study loses its stale snapshots
    study.criteria = [{"key": "overall", "label": "Overall"}]
    study.save()
    leaderboard_recompute(study_id=study.id, options=FAST)
    assert not Leaderboard.objects.filter(study=study, criterion="style").exists()


def test_number_of_queries_does_not_grow_with_judgments(study):
    with CaptureQueriesContext(connection) as small:
        leaderboard_recompute(study_id=study.id, options=FAST)
    add_votes(comparison(study, "beta", "gamma"), {"a": 30, "b": 20, "tie": 10})
    with CaptureQueriesContext(connection) as large:
        leaderboard_recompute(study_id=study.id, options=FAST)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_snapshot_without_enough_data_says_so():
    s = make_study(systems=["solo", "other"])
    snaps = leaderboard_recompute(study_id=s.id, options=FAST)
    bt = next(x for x in snaps if x.method == "bradley_terry")
    assert bt.result["systems"] == [] and bt.n_judgments == 0
    assert bt.result["unrated"] == ["other", "solo"]


def test_job_is_idempotent_and_tolerates_a_deleted_study(study):
    assert leaderboard_recompute_job.delay(study.id).get() == 4  # overall + math + code + elo
    assert leaderboard_recompute_job.delay(study.id).get() == 4
    assert Leaderboard.objects.filter(study=study).count() == 4
    assert leaderboard_recompute_job.delay(987654).get() == 0


def test_scheduler_debounces_per_study(study, settings, monkeypatch):
    cache.clear()
    settings.LEADERBOARD_DEBOUNCE_SECONDS = 60
    calls = []
    monkeypatch.setattr(leaderboard_recompute_job, "apply_async", lambda **kw: calls.append(kw))
    assert leaderboard_schedule_recompute(study_id=study.id) is True
    assert leaderboard_schedule_recompute(study_id=study.id) is False
    assert leaderboard_schedule_recompute(study_id=study.id + 1) is True
    assert calls == [{"args": [study.id], "countdown": 60}, {"args": [study.id + 1], "countdown": 60}]
    cache.clear()  # the window has passed
    assert leaderboard_schedule_recompute(study_id=study.id) is True


def test_scheduler_runs_the_job_eagerly_without_a_broker(study):
    cache.clear()
    assert leaderboard_schedule_recompute(study_id=study.id) is True
    assert Leaderboard.objects.filter(study=study, method="bradley_terry", tag="").exists()


def test_bad_options_are_rejected():
    with pytest.raises(ValueError, match="both_bad"):
        LeaderboardOptions(both_bad="loss")
    with pytest.raises(ValueError, match="rounds"):
        LeaderboardOptions(rounds=0)


@pytest.mark.postgres
def test_postgres_aggregation_and_tag_unnesting(postgres_db):
    s = make_study(systems=["x", "y", "z"], prompts={"p0": ["t1"], "p1": ["t1", "t2"], "p2": {"not": "a list"}})
    add_votes(comparison(s, "x", "y"), {"a": 4, "b": 1, "tie": 2})
    add_votes(comparison(s, "y", "z", prompt="p1"), {"a": 2, "both_bad": 1})
    add_votes(comparison(s, "x", "z", prompt="p2"), {"b": 3})
    names = dict(s.systems.values_list("id", "name"))
    overall = {
        (names[a], names[b], ch): n for _, a, b, ch, n in leaderboard_counts(study=s, options=LeaderboardOptions())
    }
    assert overall == {
        ("x", "y", "a"): 4,
        ("x", "y", "b"): 1,
        ("x", "y", "tie"): 2,
        ("y", "z", "a"): 2,
        ("y", "z", "both_bad"): 1,
        ("x", "z", "b"): 3,
    }
    tags = leaderboard_tag_counts(study=s, options=LeaderboardOptions())
    by = {(t, names[a], names[b], ch): n for _, t, a, b, ch, n in tags}
    assert by[("t1", "x", "y", "a")] == 4 and by[("t2", "y", "z", "a")] == 2 and by[("t1", "y", "z", "a")] == 2
    assert not any(names[a] == "x" and names[b] == "z" for _, _, a, b, _, _ in tags)  # p2's tags are not a list
    snaps = leaderboard_recompute(study_id=s.id, options=FAST)
    assert {(x.tag, x.method) for x in snaps} == {
        ("", "bradley_terry"),
        ("t1", "bradley_terry"),
        ("t2", "bradley_terry"),
        ("", "elo"),
    }


def test_separation_estimate_follows_the_square_root_rule():
    import numpy as np

    from ratings.services.leaderboard import separation_estimate

    scores = np.array([1050.0, 1030.0])
    lower = np.array([1030.0, 1010.0])
    upper = np.array([1070.0, 1050.0])
    est = separation_estimate(scores=scores, lower=lower, upper=upper, order=np.array([0, 1]), n_judgments=100)
    # half-widths 20 + 20 = 40 over a gap of 20 → 4x the judgments → 300 more
    assert est == {"distinguishable": False, "top_pair": [0, 1], "more_judgments_needed": 300}
    apart = separation_estimate(
        scores=scores,
        lower=np.array([1045.0, 1020.0]),
        upper=np.array([1055.0, 1040.0]),
        order=np.array([0, 1]),
        n_judgments=100,
    )
    assert apart["distinguishable"] is True and apart["more_judgments_needed"] is None
