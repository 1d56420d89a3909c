from __future__ import annotations

import random
from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalsite.errors import ApplicationError
from tasks.lib.pairing import balanced_orientation, sample_pairs
from tasks.models import Comparison, Output
from tasks.services.gold import gold_mark
from tasks.services.outputs import outputs_review
from tasks.services.studies import study_transition, study_update
from tasks.tests.design.conftest import load_text_outputs
from tasks.tests.factories import AssignmentFactory


def _side_counts(comparisons) -> tuple[Counter, Counter]:
    a, b = Counter(), Counter()
    for comparison in comparisons:
        a[comparison.output_a.system.name] += 1
        b[comparison.output_b.system.name] += 1
    return a, b


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)).filter(lambda e: e[0] != e[1]), max_size=80),
    st.integers(0, 2**32),
)
def test_orientation_balances_every_vertex(edges, seed):
    flips = balanced_orientation(edges, random.Random(seed))
    first, second, degree = Counter(), Counter(), Counter()
    for edge, flip in zip(edges, flips, strict=True):
        u, v = (edge[1], edge[0]) if flip else edge
        first[u] += 1
        second[v] += 1
        degree[u] += 1
        degree[v] += 1
    for vertex, d in degree.items():
        diff = first[vertex] - second[vertex]
        assert abs(diff) <= 1
        if d % 2 == 0:
            assert diff == 0


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 8), st.integers(1, 30), st.integers(1, 5), st.integers(0, 2**32))
def test_sampled_pairs_spread_systems_evenly(n_systems, n_prompts, k, seed):
    prompts = [list(range(n_systems)) for _ in range(n_prompts)]
    picks = sample_pairs(prompts, k, random.Random(seed))
    appearances = Counter()
    for pairs in picks:
        assert len(pairs) == min(k, n_systems * (n_systems - 1) // 2)
        assert len(set(pairs)) == len(pairs)
        for u, v in pairs:
            appearances[u] += 1
            appearances[v] += 1
    assert max(appearances.values()) - min(appearances.get(s, 0) for s in range(n_systems)) <= 1


pytestmark = pytest.mark.django_db


def _load(study, n_prompts=6, systems=("alpha", "bravo", "charlie", "delta")):
    load_text_outputs(study, n_prompts, systems)


def test_all_pairs_balanced_sides(draft_text_study):
    _load(draft_text_study, n_prompts=7, systems=("alpha", "bravo", "charlie", "delta", "echo"))
    study_transition(study=draft_text_study, action="launch")
    regular = list(
        Comparison.objects.filter(study=draft_text_study, kind="regular").select_related(
            "output_a__system", "output_b__system"
        )
    )
    assert len(regular) == 7 * 10
    assert len({(c.output_a_id, c.output_b_id) for c in regular}) == 70
    a, b = _side_counts(regular)
    for system in ("alpha", "bravo", "charlie", "delta", "echo"):
        assert a[system] + b[system] == 28
        assert a[system] == b[system] == 14
    assert all(c.output_a.prompt_id == c.output_b.prompt_id == c.prompt_id for c in regular)
    # Rows written by the fast insert load back like any other row.
    assert all(
        c.gold_answers == {} and c.gold_explanation == "" and c.active and c.judgment_count == 0 and c.created_at
        for c in regular
    )
    assert len({c.public_id for c in regular}) == 70


def test_odd_counts_balanced_within_one(draft_text_study):
    _load(draft_text_study, n_prompts=3, systems=("alpha", "bravo", "charlie", "delta"))
    study_transition(study=draft_text_study, action="launch")
    a, b = _side_counts(
        Comparison.objects.filter(study=draft_text_study).select_related("output_a__system", "output_b__system")
    )
    for system in ("alpha", "bravo", "charlie", "delta"):  # 9 matchups each: 5/4
        assert a[system] + b[system] == 9
        assert abs(a[system] - b[system]) == 1


def test_sampled_policy(draft_text_study):
    study_update(study=draft_text_study, pairing="sampled", pairs_per_prompt=2)
    systems = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
    _load(draft_text_study, n_prompts=12, systems=systems)
    study_transition(study=draft_text_study, action="launch")
    regular = list(
        Comparison.objects.filter(study=draft_text_study, kind="regular").select_related(
            "output_a__system", "output_b__system"
        )
    )
    assert len(regular) == 24
    per_prompt = Counter(c.prompt_id for c in regular)
    assert set(per_prompt.values()) == {2}
    a, b = _side_counts(regular)
    appearances = {s: a[s] + b[s] for s in systems}
    assert set(appearances.values()) == {8}  # 48 slots / 6 systems
    assert all(a[s] == b[s] for s in systems)


def test_launch_idempotent_and_public_ids_opaque(draft_text_study):
    _load(draft_text_study)
    study_transition(study=draft_text_study, action="launch")
    ids = set(Comparison.objects.filter(study=draft_text_study).values_list("public_id", flat=True))
    study_transition(study=draft_text_study, action="launch")
    assert set(Comparison.objects.filter(study=draft_text_study).values_list("public_id", flat=True)) == ids
    assert all(len(pid) >= 20 for pid in ids)
    assert not any(pid.isdigit() for pid in ids)


def test_excluded_outputs_are_not_paired_and_flagged_block_launch(draft_text_study):
    _load(draft_text_study, n_prompts=2)
    leak = Output.objects.filter(study=draft_text_study, prompt__external_id="p0", system__name="alpha").get()
    leak.text = "As an AI developed by OpenAI I think..."
    leak.leak_review = "flagged"
    leak.save()
    with pytest.raises(ApplicationError) as exc:
        study_transition(study=draft_text_study, action="launch")
    assert exc.value.code == "leaks_unreviewed"
    draft_text_study.refresh_from_db()
    assert draft_text_study.status == "draft" and not Comparison.objects.exists()
    outputs_review(study=draft_text_study, public_ids=[leak.public_id], decision="exclude")
    study_transition(study=draft_text_study, action="launch")
    comparisons = Comparison.objects.filter(study=draft_text_study)
    assert comparisons.count() == 3 + 6
    assert not comparisons.filter(output_a=leak).exists() and not comparisons.filter(output_b=leak).exists()


def test_exclusion_after_launch_deactivates_and_keep_reactivates(draft_text_study):
    _load(draft_text_study, n_prompts=2)
    study_transition(study=draft_text_study, action="launch")
    output = Output.objects.filter(study=draft_text_study).first()
    # a rater holds a lease on one of its comparisons, another on an unrelated one
    uses = Comparison.objects.filter(output_a=output).first() or Comparison.objects.filter(output_b=output).first()
    other = Comparison.objects.exclude(output_a=output).exclude(output_b=output).first()
    held = AssignmentFactory(study=draft_text_study, comparison=uses)
    unrelated = AssignmentFactory(study=draft_text_study, comparison=other)
    result = outputs_review(study=draft_text_study, public_ids=[output.public_id], decision="exclude")
    assert result["comparisons_changed"] == 3
    held.refresh_from_db()
    unrelated.refresh_from_db()
    assert (held.status, unrelated.status) == ("expired", "leased")  # the excluded output's lease ends at once
    inactive = Comparison.objects.filter(study=draft_text_study, active=False)
    assert inactive.count() == 3
    assert all(output.pk in (c.output_a_id, c.output_b_id) for c in inactive)
    outputs_review(study=draft_text_study, public_ids=[output.public_id], decision="keep")
    assert not Comparison.objects.filter(study=draft_text_study, active=False).exists()


def test_repeats_are_flipped_duplicates(draft_text_study):
    study_update(study=draft_text_study, repeat_rate=0.25)
    _load(draft_text_study, n_prompts=4)
    study_transition(study=draft_text_study, action="launch")
    regular = Comparison.objects.filter(study=draft_text_study, kind="regular").count()
    repeats = list(Comparison.objects.filter(study=draft_text_study, kind="repeat").select_related("repeat_of"))
    assert regular == 24 and len(repeats) == 6
    for repeat in repeats:
        assert repeat.repeat_of.kind == "regular"
        assert (repeat.output_a_id, repeat.output_b_id) == (repeat.repeat_of.output_b_id, repeat.repeat_of.output_a_id)
    assert len({r.repeat_of_id for r in repeats}) == 6


def test_gold_marks_become_gold_comparisons_with_answer_per_side(draft_text_study):
    _load(draft_text_study, n_prompts=2)
    for _ in range(2):  # marking twice updates, never duplicates
        gold = gold_mark(
            study=draft_text_study,
            prompt_id="p1",
            system_a="bravo",
            system_b="alpha",
            answer={"overall": "a"},
            explanation="Bravo is right.",
        )
    assert Comparison.objects.filter(study=draft_text_study, kind="gold").count() == 1
    gold.refresh_from_db()
    better = gold.output_a if gold.gold_answers["overall"] == "a" else gold.output_b
    assert better.system.name == "bravo"
    # The reverse orientation updates the same comparison.
    gold_mark(study=draft_text_study, prompt_id="p1", system_a="alpha", system_b="bravo", answer="tie")
    gold.refresh_from_db()
    assert gold.gold_answers == {"overall": "tie"}
    study_transition(study=draft_text_study, action="launch")
    assert Comparison.objects.filter(study=draft_text_study, kind="gold").count() == 1
    assert Comparison.objects.filter(study=draft_text_study, kind="regular").count() == 12
    # Once judged, the expected answer is frozen (raters were scored against it); the explanation is not.
    Comparison.objects.filter(pk=gold.pk).update(judgment_count=1)
    with pytest.raises(ApplicationError) as err:
        gold_mark(study=draft_text_study, prompt_id="p1", system_a="alpha", system_b="bravo", answer={"overall": "a"})
    assert err.value.code == "gold_answer_frozen"
    gold_mark(
        study=draft_text_study, prompt_id="p1", system_a="alpha", system_b="bravo", answer="tie", explanation="Both ok."
    )
    gold.refresh_from_db()
    assert gold.gold_answers == {"overall": "tie"} and gold.gold_explanation == "Both ok."


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"system_b": "zulu"}, "system_b"),
        ({"prompt_id": "nope"}, "system_a"),
        ({"answer": {"overall": "maybe"}}, "answer"),
        ({"answer": {"style": "a"}}, "answer"),
        ({"system_b": "alpha"}, "system_b"),
    ],
)
def test_gold_mark_errors(draft_text_study, kwargs, field):
    _load(draft_text_study, n_prompts=1)
    values = {"prompt_id": "p0", "system_a": "alpha", "system_b": "bravo", "answer": "a"} | kwargs
    with pytest.raises(ApplicationError) as exc:
        gold_mark(study=draft_text_study, **values)
    assert field in exc.value.extra["fields"]
    assert not Comparison.objects.exists()


def test_pairs_cover_each_prompt_pair_once(draft_text_study):
    _load(draft_text_study, n_prompts=3)
    study_transition(study=draft_text_study, action="launch")
    seen = Counter()
    for comparison in Comparison.objects.filter(study=draft_text_study).select_related(
        "output_a__system", "output_b__system"
    ):
        seen[(comparison.prompt_id, frozenset((comparison.output_a.system.name, comparison.output_b.system.name)))] += 1
    assert set(seen.values()) == {1}
    assert len(seen) == 3 * len(list(combinations(range(4), 2)))
