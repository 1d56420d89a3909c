"""Owner quality page and API: permissions, rendering, CSV, actions (with CSRF), bad input."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from ratings.models import Judgment, QualityEvent
from ratings.services import quality as services
from ratings.tests.simulate import comparisons_add_gold_and_repeats, comparisons_all_pairs, simulate_judgments
from tasks.models import Rater, Study
from tasks.tests.factories import OwnerFactory, UserFactory, make_study_with_outputs

pytestmark = pytest.mark.django_db


@pytest.fixture
def study() -> Study:
    study = make_study_with_outputs(n_systems=3, n_prompts=6)
    comparisons_all_pairs(study=study)
    comparisons_add_gold_and_repeats(study=study, n_gold=6, n_repeat=4, seed=0)
    simulate_judgments(study=study, n_honest=5, spammers=("fast", "left"), seed=0)
    services.quality_recompute(study=study)
    return study


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_quality_page_renders_badge_table_chart_and_log(study: Study, django_assert_max_num_queries) -> None:
    client = _client(study.owner)
    with django_assert_max_num_queries(15):  # a fixed number, whatever the number of raters (no N+1)
        response = client.get(reverse("owner-quality", kwargs={"slug": study.slug}))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="agreement-badge agreement-' in html
    assert "Krippendorff&#x27;s alpha" in html or "Krippendorff's alpha" in html
    assert html.count('class="rater-row') == 7
    assert html.count('<circle class="point') == 7
    assert 'id="event-log"' in html and "too_fast" in html
    # The owner's study page links here.
    study_page = _client(study.owner).get(reverse("owner-study", kwargs={"slug": study.slug})).content.decode()
    assert reverse("owner-quality", kwargs={"slug": study.slug}) in study_page


def test_quality_page_sorts_server_side(study: Study) -> None:
    client = _client(study.owner)
    url = reverse("owner-quality", kwargs={"slug": study.slug})
    html = client.get(url, {"sort": "-median_seconds"}).content.decode()
    fast = Rater.objects.get(study=study, external_id__endswith="fast")
    rows = [part.split('"', 1)[0] for part in html.split('data-rater="')[1:]]
    assert rows[-1] == str(fast.id)
    html = client.get(url, {"sort": "median_seconds"}).content.decode()
    assert html.split('data-rater="')[1].split('"', 1)[0] == str(fast.id)


def test_pages_are_owner_only(study: Study) -> None:
    url = reverse("owner-quality", kwargs={"slug": study.slug})
    assert _client(OwnerFactory()).get(url).status_code == 404
    assert _client(UserFactory()).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    api = reverse("api-quality-agreement", kwargs={"slug": study.slug})
    assert _client(OwnerFactory()).get(api).status_code == 404
    assert _client(UserFactory()).get(api).status_code == 403


def test_action_form_needs_csrf_and_writes_event(study: Study) -> None:
    rater = Rater.objects.filter(study=study, status="active").first()
    url = reverse("owner-quality-action", kwargs={"slug": study.slug, "rater_id": rater.id})
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(study.owner)
    assert strict.post(url, {"action": "block"}).status_code == 403
    rater.refresh_from_db()
    assert rater.status == "active"
    response = _client(study.owner).post(url, {"action": "block", "reason": "bot-like"})
    assert response.status_code == 302
    rater.refresh_from_db()
    assert rater.status == "blocked"
    event = QualityEvent.objects.get(rater=rater)
    assert (event.action, event.reason, event.by_user) == ("blocked", "bot-like", study.owner)
    # Unknown rater, unknown action: a 404, and a message without any change.
    missing = reverse("owner-quality-action", kwargs={"slug": study.slug, "rater_id": 999999})
    assert _client(study.owner).post(missing, {"action": "block"}).status_code == 404
    page = _client(study.owner).post(url, {"action": "delete"}, follow=True).content.decode()
    assert "Unknown action" in page
    assert QualityEvent.objects.filter(rater=rater).count() == 1
    # Another owner cannot act on this study's raters.
    assert _client(OwnerFactory()).post(url, {"action": "unblock"}).status_code == 404
    rater.refresh_from_db()
    assert rater.status == "blocked"


def test_agreement_api_json_and_csv(study: Study) -> None:
    client = _client(study.owner)
    url = reverse("api-quality-agreement", kwargs={"slug": study.slug})
    data = client.get(url, {"n_boot": 100}).json()
    (overall,) = data["criteria"]
    assert overall["criterion"] == "overall" and overall["level"] == "nominal"
    assert overall["interval"][0] <= overall["alpha"] <= overall["interval"][1]
    assert overall["badge"]["level"] in ("reliable", "tentative", "unreliable")
    response = client.get(url, {"format": "csv", "n_boot": 50})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["criterion"] == "overall"
    assert float(rows[0]["alpha"]) == pytest.approx(overall["alpha"])


def test_agreement_api_bad_input_is_clear(study: Study) -> None:
    client = _client(study.owner)
    url = reverse("api-quality-agreement", kwargs={"slug": study.slug})
    body = client.get(url, {"criterion": "nope"}).json()
    assert body["code"] == "validation_error"
    assert "criterion" in body["extra"]["fields"]
    body = client.get(url, {"n_boot": "-3"}).json()
    assert "n_boot" in body["extra"]["fields"]


def test_rater_quality_api_json_and_csv(study: Study, django_assert_max_num_queries) -> None:
    client = _client(study.owner)
    url = reverse("api-quality-raters", kwargs={"slug": study.slug})
    with django_assert_max_num_queries(12):
        data = client.get(url, {"sort": "-fast_share"}).json()
    assert len(data["raters"]) == 7
    assert data["raters"][0]["rater"].endswith("fast") and "too_fast" in data["raters"][0]["rules_fired"]
    assert data["rules"]["min_gold_accuracy"] == 0.6
    rows = list(csv.DictReader(io.StringIO(client.get(url, {"format": "csv"}).content.decode())))
    assert len(rows) == 7 and "gold_accuracy" in rows[0] and "position_p" in rows[0]


def test_action_api_and_errors_write_nothing(study: Study) -> None:
    client = _client(study.owner)
    rater = Rater.objects.filter(study=study, excluded=False).first()
    url = reverse("api-quality-action", kwargs={"slug": study.slug, "rater_id": rater.id})
    n_events, n_judgments = QualityEvent.objects.count(), Judgment.objects.count()
    bad = client.post(url, {"action": "delete"}, content_type="application/json")
    assert bad.status_code == 400 and "action" in bad.json()["extra"]["fields"]
    missing = client.post(
        reverse("api-quality-action", kwargs={"slug": study.slug, "rater_id": 999999}),
        {"action": "exclude"},
        content_type="application/json",
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert QualityEvent.objects.count() == n_events
    ok = client.post(url, {"action": "exclude", "reason": "test"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json() == {"rater_id": rater.id, "status": rater.status, "excluded": True}
    again = client.post(url, {"action": "exclude"}, content_type="application/json")
    assert again.status_code == 200
    assert QualityEvent.objects.count() == n_events + 1
    assert Judgment.objects.count() == n_judgments


def test_badge_include_for_the_leaderboard_page(study: Study) -> None:
    from django.template.loader import render_to_string

    from ratings.presentation import agreement_badge_for
    from ratings.selectors.quality import study_agreement

    badge = agreement_badge_for(study_agreement(study=study, criterion="overall", n_boot=500))
    assert badge["criterion"] == "overall" and badge["level"] in ("reliable", "tentative", "unreliable")
    assert badge["interval"][0] <= badge["alpha"] <= badge["interval"][1]
    html = render_to_string("owner/_agreement_badge.html", {"agreement_badge": badge})
    assert f"agreement-{badge['level']}" in html and f"{badge['alpha']:.3f}" in html
    assert render_to_string("owner/_agreement_badge.html", {}).strip() == ""


def test_empty_study_says_agreement_unknown() -> None:
    empty = make_study_with_outputs(n_systems=2, n_prompts=1)
    response = _client(empty.owner).get(reverse("owner-quality", kwargs={"slug": empty.slug}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "agreement-unknown" in html and "Not enough comparisons" in html
    api = _client(empty.owner).get(reverse("api-quality-agreement", kwargs={"slug": empty.slug})).json()
    assert api["criteria"][0]["alpha"] is None and api["criteria"][0]["badge"]["level"] == "unknown"
