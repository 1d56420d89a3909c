"""What the leaderboard and rater-quality pages tell an owner: what the judgment count leaves out (and why),
why an Elo cell is empty, heatmaps that fill their box, and a scatter with a legend or a clear message."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from ratings.charts import heatmap_cell_size, heatmap_svg, leaderboard_charts
from ratings.models import Judgment, JudgmentChoice
from ratings.selectors.leaderboard import (
    LEFT_OUT_REASONS,
    LeaderboardOptions,
    leaderboard_count_breakdown,
    leaderboard_counts,
    leaderboard_snapshot,
)
from ratings.services import quality as quality_services
from ratings.services.leaderboard import leaderboard_recompute
from ratings.tests.leaderboard_helpers import add_votes, comparison, make_study
from ratings.tests.simulate import comparisons_all_pairs, simulate_judgments
from tasks.models import Output, Rater, Study
from tasks.tests.factories import make_study_with_outputs

pytestmark = pytest.mark.django_db

FAST = LeaderboardOptions(rounds=30)


@pytest.fixture
def study() -> Study:
    """Every reason to leave a judgment out, once or more: 3 gold, 4 repeat, 2 by an excluded rater, 5 with an
    excluded output, 1 without the criterion, and 1 both-bad among the 9 that count: 24 in all."""
    s = make_study(systems=["alpha", "beta", "gamma"], prompts={"p0": ["math"], "p1": [], "p2": ["math"]})
    add_votes(comparison(s, "alpha", "beta"), {"a": 5, "b": 2, "tie": 1, "both_bad": 1})
    add_votes(comparison(s, "alpha", "beta", kind="gold"), {"a": 3})
    add_votes(comparison(s, "alpha", "beta", kind="repeat"), {"b": 4})
    add_votes(comparison(s, "alpha", "gamma", prompt="p1"), {"a": 2}, rater_excluded=True)
    add_votes(comparison(s, "beta", "gamma", prompt="p2"), {"b": 5})
    Output.objects.filter(study=s, system__name="gamma", prompt__external_id="p2").update(leak_review="excluded")
    lost = add_votes(comparison(s, "alpha", "gamma", prompt="p0"), {"a": 1})
    JudgmentChoice.objects.filter(judgment__in=lost).delete()  # no answer on "overall"
    return s


def _counted(study: Study, options: LeaderboardOptions, tag: str = "") -> int:
    if tag:
        from ratings.selectors.leaderboard import leaderboard_tag_counts

        return sum(n for _c, t, _a, _b, _ch, n in leaderboard_tag_counts(study=study, options=options) if t == tag)
    return sum(n for *_rest, n in leaderboard_counts(study=study, options=options))


@pytest.mark.parametrize(
    "options",
    [
        LeaderboardOptions(),
        LeaderboardOptions(both_bad="drop"),
        LeaderboardOptions(include_excluded_raters=True, include_excluded_outputs=True),
        LeaderboardOptions(kinds=("regular", "gold", "repeat")),
        LeaderboardOptions(exclude_flagged_raters=True),
    ],
)
def test_breakdown_adds_up_and_matches_the_leaderboard_query(study: Study, options: LeaderboardOptions) -> None:
    breakdown = leaderboard_count_breakdown(study=study, criterion="overall", options=options)
    assert breakdown["total"] == Judgment.objects.filter(study=study).count() == 24
    assert breakdown["counted"] + sum(breakdown["left_out"].values()) == breakdown["total"]
    assert breakdown["counted"] == _counted(study, options)  # the same rules as the counting SQL
    assert set(breakdown["left_out"]) <= set(LEFT_OUT_REASONS)


def test_breakdown_names_each_reason(study: Study) -> None:
    default = leaderboard_count_breakdown(study=study, criterion="overall")
    assert default["left_out"] == {"gold": 3, "repeat": 4, "excluded_raters": 2, "excluded_outputs": 5, "no_choice": 1}
    assert default["counted"] == 9
    dropped = leaderboard_count_breakdown(study=study, criterion="overall", options=LeaderboardOptions(both_bad="drop"))
    assert dropped["left_out"]["both_bad"] == 1 and dropped["counted"] == 8
    add_votes(comparison(study, "beta", "gamma", prompt="p1"), {"a": 2})  # counted overall, not under "math"
    tagged = leaderboard_count_breakdown(study=study, criterion="overall", tag="math")
    assert tagged["left_out"]["other_tags"] == 2
    assert tagged["counted"] == _counted(study, FAST, "math") == 9


def test_leaderboard_page_explains_its_count_next_to_the_study_page(study: Study) -> None:
    leaderboard_recompute(study_id=study.id, options=FAST)
    client = Client()
    client.force_login(study.owner)
    html = client.get(reverse("owner-leaderboard", args=[study.slug])).content.decode()
    box = re.search(r'id="judgment-counts"(.*?)</details>', html, re.S).group(1)
    assert "Counted here: 9 of the study's 24 judgments" in box
    for reason, n in {"gold": 3, "repeat": 4, "excluded_raters": 2, "excluded_outputs": 5, "no_choice": 1}.items():
        assert re.search(rf'data-reason="{reason}"><th scope="row">[^<]+</th><td class="num">{n}</td>', box), reason
    assert "count as a tie" in box
    study_page = client.get(reverse("owner-study", args=[study.slug])).content.decode()
    assert '<dd id="judgments-count">24</dd>' in study_page  # the number the leaderboard's box starts from
    # An exclusion after the snapshot: the box says the snapshot is older and opens itself.
    Rater.objects.filter(study=study, judgments__comparison__kind="regular").update(excluded=True)
    html = client.get(reverse("owner-leaderboard", args=[study.slug])).content.decode()
    assert 'id="judgment-counts" open' in html and "Recompute to bring it up to date" in html


def test_elo_dash_has_a_reason(study: Study) -> None:
    leaderboard_recompute(study_id=study.id, options=FAST)
    client = Client()
    client.force_login(study.owner)
    url = reverse("owner-leaderboard", args=[study.slug])
    overall = client.get(url).content.decode()
    assert 'id="elo-note"' not in overall  # every system has an Elo over all prompts
    tagged = client.get(url, {"tag": "math"}).content.decode()
    assert '<a class="footnote-mark" href="#elo-note"' in tagged and "Elo is computed over all prompts only" in tagged
    leaderboard_recompute(study_id=study.id, options=LeaderboardOptions(rounds=30, elo_max_judgments=5))
    too_many = client.get(url).content.decode()
    assert "Elo is skipped above 5 judgments" in too_many


def test_heatmap_fills_its_box_without_inline_style() -> None:
    names = ["atlas-70b", "borealis-8b", "cirrus-mini", "dune-2"]
    svg = heatmap_svg(names, [[0.5] * 4 for _ in names], title="t", description="d")
    width = int(re.search(r'<svg[^>]* width="(\d+)"', svg).group(1))
    assert "style=" not in svg
    assert 480 <= width <= 600  # about half of the 1168 px page, where it sits beside the other heatmap
    # cells grow for few systems and shrink for many, within legible bounds
    assert heatmap_cell_size(2, 9, target_width=540) == 100
    assert heatmap_cell_size(30, 20, target_width=1100) == 29
    long_name = "x" * 80
    svg = heatmap_svg([long_name, "b"], [[None, 0.4], [0.6, None]], title="t", description="d")
    assert long_name not in re.sub(r"<title>.*?</title>", "", svg) and "…" in svg  # cut label, full name in tooltip
    many = leaderboard_charts(
        {
            "systems": [{"system": f"s{i}", "score": 1000, "lower": 990, "upper": 1010} for i in range(12)],
            "order": [f"s{i}" for i in range(12)],
            "win_rate": [[0.5] * 12 for _ in range(12)],
            "battles": [[1] * 12 for _ in range(12)],
        }
    )
    assert many["heatmap_many"] is True


def _quality_study(*, gold: bool) -> Study:
    study = make_study_with_outputs(n_systems=3, n_prompts=4)
    comparisons_all_pairs(study=study)
    if gold:
        from ratings.tests.simulate import comparisons_add_gold_and_repeats

        comparisons_add_gold_and_repeats(study=study, n_gold=4, n_repeat=0, seed=0)
    simulate_judgments(study=study, n_honest=4, spammers=("left",), seed=1)
    quality_services.quality_recompute(study=study)
    return study


def test_quality_scatter_has_legend_and_axis_labels() -> None:
    study = _quality_study(gold=True)
    client = Client()
    client.force_login(study.owner)
    html = client.get(reverse("owner-quality", args=[study.slug])).content.decode()
    assert 'id="quality-chart"' in html and 'id="chart-legend"' in html
    legend = re.search(r'id="chart-legend"[^>]*>(.*?)</ul>', html, re.S).group(1)
    for status in ("active", "flagged", "blocked", "excluded"):
        assert status in legend
    assert "Agreement with the majority (share of pairs)" in html and "Gold accuracy (share right)" in html
    assert 'fill="#' not in re.search(r'<svg id="quality-chart".*?</svg>', html, re.S).group(0).split("<circle")[-1]
    # every column is on the page, with what it measures
    assert html.count('<th scope="col"') >= 15 and 'title="Most identical answers in a row"' in html
    assert 'id="scroll-hint"' in html
    # each criterion's check says its level in words (it was an empty cell)
    criteria = re.search(r'id="criteria-table"(.*?)</table>', html, re.S).group(1)
    assert re.search(
        r'<span class="badge (ok|warn|bad|)">(Reliable|Tentative|Unreliable|Agreement unknown)</span>', criteria
    )


def test_quality_page_without_gold_says_so_instead_of_empty_axes() -> None:
    study = _quality_study(gold=False)
    client = Client()
    client.force_login(study.owner)
    html = client.get(reverse("owner-quality", args=[study.slug])).content.decode()
    assert 'id="quality-chart"' not in html
    assert 'id="chart-empty"' in html and "No gold pairs in this study" in html
    assert f'href="/studies/{study.slug}/gold/"' in html


def test_snapshot_helper_is_used_by_the_page(study: Study) -> None:
    assert leaderboard_snapshot(study=study, criterion="overall") is None
    client = Client()
    client.force_login(study.owner)
    html = client.get(reverse("owner-leaderboard", args=[study.slug])).content.decode()
    assert 'id="judgment-counts"' not in html  # no snapshot, nothing to explain yet


def test_every_ratings_choice_label_an_owner_sees_is_marked_for_translation() -> None:
    from ratings.models import Export, QualityEvent
    from ratings.presentation import CHOICE_LABELS

    labels = set(QualityEvent.Action.labels) | set(Export.Status.labels)
    assert labels <= set(CHOICE_LABELS), labels - set(CHOICE_LABELS)
