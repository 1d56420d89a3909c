"""Leaderboard API and owner page: content, CSV/JSON, permissions, query counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from ratings.selectors.leaderboard import LeaderboardOptions
from ratings.services.leaderboard import leaderboard_recompute
from ratings.tests.leaderboard_helpers import add_votes, comparison, make_study
from tasks.models import Rater
from tasks.tests.factories import OwnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def study():
    s = make_study(systems=["alpha", "beta", "gamma<script>"], prompts={"p0": ["math"], "p1": []})
    add_votes(comparison(s, "alpha", "beta"), {"a": 12, "b": 3, "tie": 4})
    add_votes(comparison(s, "beta", "gamma<script>", prompt="p1"), {"a": 9, "b": 2})
    add_votes(comparison(s, "alpha", "gamma<script>"), {"a": 8, "b": 1, "both_bad": 2})
    leaderboard_recompute(study_id=s.id, options=LeaderboardOptions(rounds=50))
    return s


@pytest.fixture
def owner_client(study):
    client = APIClient()
    client.force_login(study.owner)
    return client


def test_leaderboard_json(owner_client, study, django_assert_max_num_queries):
    url = reverse("api-leaderboard", args=[study.slug])
    with django_assert_max_num_queries(6):
        resp = owner_client.get(url)
    assert resp.status_code == 200
    data = resp.json()
    assert data["criterion"] == "overall" and data["tag"] == "" and data["n_judgments"] == 41
    first = data["systems"][0]
    assert first["system"] == "alpha" and first["rank"] == 1
    assert first["wins"] == 20 and first["losses"] == 4 and first["ties"] == 6
    assert first["lower"] <= first["score"] <= first["upper"]
    assert "elo" in first and data["fit"]["bootstrap_rounds"] == 50
    assert data["params"]["both_bad"] == "tie"


def test_leaderboard_per_tag_and_unknown_tag(owner_client, study):
    url = reverse("api-leaderboard", args=[study.slug])
    tagged = owner_client.get(url, {"tag": "math"}).json()
    assert tagged["tag"] == "math" and tagged["n_judgments"] == 30
    missing = owner_client.get(url, {"tag": "nope"})
    assert missing.status_code == 404
    assert missing.json()["code"] == "leaderboard_not_computed"
    assert missing.json()["extra"] == {"criterion": "overall", "tag": "nope", "method": "bradley_terry"}


def test_leaderboard_csv(owner_client, study):
    resp = owner_client.get(reverse("api-leaderboard", args=[study.slug]), {"format": "csv"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    assert "attachment" in resp["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.content.decode())))
    assert rows[0]["system"] == "alpha" and len(rows) == 3
    assert {"score", "lower", "upper", "rank", "wins", "losses", "ties", "win_rate", "criterion", "tag"} <= set(rows[0])


def test_matrices_json_and_csv(owner_client, study):
    url = reverse("api-leaderboard-matrices", args=[study.slug])
    data = owner_client.get(url).json()
    order = data["order"]
    a, b = order.index("alpha"), order.index("beta")
    assert data["battles"][a][b] == 19 and data["battles"][b][a] == 19
    assert data["win_rate"][a][b] == pytest.approx(12 / 15, abs=1e-4)
    assert data["win_rate_ties_half"][a][b] == pytest.approx(14 / 19, abs=1e-4)
    assert data["win_rate"][a][a] is None
    rows = list(csv.DictReader(io.StringIO(owner_client.get(url, {"format": "csv"}).content.decode())))
    assert len(rows) == 6
    row = next(r for r in rows if r["system"] == "alpha" and r["opponent"] == "beta")
    assert row["battles"] == "19"


def test_elo_endpoint(owner_client, study):
    data = owner_client.get(reverse("api-leaderboard-elo", args=[study.slug])).json()
    assert data["systems"][0]["system"] == "alpha"
    assert data["params"]["k"] == 4.0
    assert sum(r["rating"] for r in data["systems"]) == pytest.approx(3000.0, abs=0.1)


def test_list_and_recompute(owner_client, study):
    listing = owner_client.get(reverse("api-leaderboard-list", args=[study.slug])).json()
    assert {(x["criterion"], x["tag"], x["method"]) for x in listing} == {
        ("overall", "", "bradley_terry"),
        ("overall", "math", "bradley_terry"),
        ("overall", "", "elo"),
    }
    resp = owner_client.post(reverse("api-leaderboard-recompute", args=[study.slug]))
    assert resp.status_code == 202 and resp.json() == {"queued": True}


@pytest.mark.parametrize(
    "name", ["api-leaderboard", "api-leaderboard-matrices", "api-leaderboard-elo", "api-leaderboard-list"]
)
def test_permissions(study, name):
    url = reverse(name, args=[study.slug])
    other = APIClient()
    other.force_login(OwnerFactory())
    assert other.get(url).status_code == 404
    assert APIClient().get(url).status_code == 403
    rater_user = UserFactory()
    Rater.objects.create(study=study, platform="account", external_id="acc-1", user=rater_user)
    rater = APIClient()
    rater.force_login(rater_user)
    assert rater.get(url).status_code == 403
    assert other.post(reverse("api-leaderboard-recompute", args=[study.slug])).status_code == 404


#: session, user, owner check, study, tags, snapshot, agreement stamp (2), staleness, what the count leaves out
LEADERBOARD_PAGE_QUERIES = 10


def test_owner_page_shows_table_and_charts(client, study, django_assert_num_queries):
    client.force_login(study.owner)
    url = reverse("owner-leaderboard", args=[study.slug])
    client.get(reverse("owner-home"))  # the session's first page stores its CSRF secret (CSRF_USE_SESSIONS)
    client.get(url)  # the agreement badge is computed once, then cached
    with django_assert_num_queries(LEADERBOARD_PAGE_QUERIES):
        resp = client.get(url)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.count("<svg") == 3
    assert "chart-dot-whisker" in html and html.count("chart-heatmap") == 2
    assert "gamma&lt;script&gt;" in html and "gamma<script>" not in html
    assert "95%" in html
    assert "not distinguishable" in html or "do not overlap" in html
    tagged = client.get(url, {"tag": "math"}).content.decode()
    assert '<option value="math" selected>' in tagged
    study_page = client.get(reverse("owner-study", args=[study.slug])).content.decode()
    assert url in study_page


def test_owner_page_overlap_message_and_estimate(client):
    s = make_study(systems=["one", "two"])
    add_votes(comparison(s, "one", "two"), {"a": 6, "b": 5})
    leaderboard_recompute(study_id=s.id, options=LeaderboardOptions(rounds=100))
    client.force_login(s.owner)
    html = client.get(reverse("owner-leaderboard", args=[s.slug])).content.decode()
    assert "not distinguishable yet" in html
    assert "more judgments" in html


def test_owner_page_permissions_and_empty_state(client, study):
    url = reverse("owner-leaderboard", args=[study.slug])
    assert client.get(url).status_code == 302  # anonymous → login
    client.force_login(OwnerFactory())
    assert client.get(url).status_code == 404
    s = make_study(systems=["a", "b"])
    client.force_login(s.owner)
    html = client.get(reverse("owner-leaderboard", args=[s.slug])).content.decode()
    assert "No leaderboard has been computed" in html
    resp = client.post(reverse("owner-leaderboard-recompute", args=[s.slug]))
    assert resp.status_code == 302
