"""Online feedback: API keys, batch ingestion (10k events, invalid ones, duplicates), the owner page."""

from __future__ import annotations

import hashlib
import math
import random

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ratings.models import ApiKey, Feedback, Leaderboard
from ratings.services import feedback as fb
from tasks.models import Output
from tasks.tests.factories import OwnerFactory, UserFactory, make_study_with_outputs

pytestmark = pytest.mark.django_db

STRENGTH = {"sys-0": 0.9, "sys-1": 0.6, "sys-2": 0.3}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def study():
    return make_study_with_outputs(n_systems=3, n_prompts=2)


@pytest.fixture
def key(study):
    return fb.api_key_create(study=study, name="prod", user=study.owner)


def post(client, events, key_text, header="bearer"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key_text}"} if header == "bearer" else {"HTTP_X_API_KEY": key_text}
    return client.post("/api/feedback/", {"events": events}, content_type="application/json", **headers)


def make_events(n, *, seed=1, start=0):
    """n events: thumbs/score/preference drawn from STRENGTH, every 20th one broken in a different way."""
    rng = random.Random(seed)
    names = list(STRENGTH)
    events, bad = [], set()
    for i in range(start, start + n):
        kind = ("thumbs", "score", "preference")[i % 3]
        s = names[rng.randrange(3)]
        event = {
            "event_id": f"ev-{i}",
            "kind": kind,
            "system": s,
            "segment": "pro",
            "timestamp": "2026-11-01T10:00:00Z",
        }
        if kind == "thumbs":
            event["value"] = int(rng.random() < STRENGTH[s])
        elif kind == "score":
            event["value"] = 1 + round(4 * STRENGTH[s])
        else:
            other = rng.choice([x for x in names if x != s])
            event["system_b"] = other
            p = STRENGTH[s] / (STRENGTH[s] + STRENGTH[other])
            event["winner"] = "a" if rng.random() < p else "b"
        if i % 20 == 7:
            breakage = (i // 20) % 5
            if breakage == 0:
                event["kind"] = "stars"
            elif breakage == 1:
                event["system"] = "no-such-system"
            elif breakage == 2:
                event["kind"], event["value"] = "score", 9
            elif breakage == 3:
                event["timestamp"] = "last tuesday"
            else:
                del event["event_id"]
            bad.add(i - start)
        events.append(event)
    return events, bad


# ------------------------------------------------------------------------------------------- keys


def test_api_key_is_stored_hashed_and_revocation_refuses_it(study, key, client):
    row = ApiKey.objects.get()
    assert key.plaintext.startswith("evk_" + row.prefix + "_")
    assert row.key_hash == hashlib.sha256(key.plaintext.encode()).hexdigest()
    assert key.plaintext not in str(ApiKey.objects.values().get())
    events, _ = make_events(3)
    assert post(client, events, key.plaintext).status_code == 200
    fb.api_key_revoke(study=study, key_id=row.pk)
    response = post(client, make_events(3, start=100)[0], key.plaintext)
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"
    assert Feedback.objects.count() == 3


@pytest.mark.parametrize(
    "auth",
    [{}, {"HTTP_AUTHORIZATION": "Bearer evk_nope_nope"}, {"HTTP_AUTHORIZATION": "Bearer garbage"}],
)
def test_missing_or_wrong_key_is_401(client, key, auth):
    response = client.post("/api/feedback/", {"events": []}, content_type="application/json", **auth)
    assert response.status_code == 401
    assert set(response.json()) == {"message", "code", "extra"}


def test_wrong_secret_with_a_real_prefix_is_refused(client, key):
    forged = key.plaintext[:-4] + "AAAA"
    assert post(client, make_events(2)[0], forged).status_code == 401
    assert Feedback.objects.count() == 0


def test_owner_session_is_not_an_api_key(client, study):
    client.force_login(study.owner)
    response = client.post("/api/feedback/", {"events": make_events(1)[0]}, content_type="application/json")
    assert response.status_code == 401 and Feedback.objects.count() == 0  # a session is not a study API key


# -------------------------------------------------------------------------------------- ingestion


def test_ten_thousand_events_valid_stored_invalid_reported_duplicates_idempotent(study, key, client):
    total_bad = 0
    for batch in range(2):
        events, bad = make_events(5000, start=batch * 5000)
        response = post(client, events, key.plaintext)
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        assert body["received"] == 5000
        assert body["rejected"] == len(bad) and body["accepted"] == 5000 - len(bad)
        assert {e["index"] for e in body["errors"]} == bad
        total_bad += len(bad)
        by_index = {e["index"]: e for e in body["errors"]}
        fields = {e["field"] for e in by_index.values()}
        assert {"kind", "system", "value", "timestamp", "event_id"} <= fields
        assert all(e["reason"] for e in by_index.values())
    assert Feedback.objects.filter(study=study).count() == 10000 - total_bad
    assert not Feedback.objects.filter(event_id="ev-7").exists()

    # Re-sending the first batch: every valid event is a duplicate, nothing new is written.
    events, bad = make_events(5000, start=0)
    again = post(client, events, key.plaintext, header="x-api-key").json()
    assert again["accepted"] == 0 and again["duplicates"] == 5000 - len(bad)
    assert Feedback.objects.filter(study=study).count() == 10000 - total_bad

    # The owner page shows them.
    client.force_login(study.owner)
    page = client.get(reverse("owner-feedback", args=[study.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{10000 - total_bad} feedback events" in html
    for name in STRENGTH:
        assert f'data-system="{name}"' in html
    rows = page.context["summary"]["systems"]
    order = [r["system"] for r in rows]
    assert order == ["sys-0", "sys-1", "sys-2"]  # the A/B BT recovers the simulated order
    sat = {r["system"]: r for r in rows}
    assert sat["sys-0"]["satisfaction_low"] < sat["sys-0"]["satisfaction"] < sat["sys-0"]["satisfaction_high"]
    assert sat["sys-0"]["score_mean"] == pytest.approx(1 + round(4 * 0.9))


def test_duplicate_event_ids_inside_one_batch_store_once(key, client):
    events = [{"event_id": "same", "kind": "thumbs", "system": "sys-0", "value": 1}] * 3
    body = post(client, events, key.plaintext).json()
    assert body["accepted"] == 1 and body["duplicates"] == 2
    assert Feedback.objects.count() == 1


def test_outputs_resolve_to_their_system_and_mismatches_are_rejected(study, key, client):
    out = Output.objects.filter(study=study, system__name="sys-1").first()
    body = post(
        client,
        [
            {"event_id": "o1", "kind": "score", "output": out.public_id, "value": 4},
            {"event_id": "o2", "kind": "score", "output": out.public_id, "system": "sys-0", "value": 4},
            {"event_id": "o3", "kind": "score", "output": "unknown", "value": 4},
            {"event_id": "o4", "kind": "preference", "system": "sys-0", "system_b": "sys-0", "winner": "a"},
            {"event_id": "o5", "kind": "preference", "system": "sys-0", "system_b": "sys-1", "winner": "left"},
        ],
        key.plaintext,
    ).json()
    assert body["accepted"] == 1
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "system"),
        (2, "output"),
        (3, "system_b"),
        (4, "winner"),
    ]
    stored = Feedback.objects.get()
    assert stored.output_id == out.id and stored.system_id == out.system_id


def test_batch_too_large_or_malformed_is_refused_whole(key, client, settings):
    settings.EVALSITE_FEEDBACK_MAX_BATCH = 10
    response = post(client, make_events(11)[0], key.plaintext)
    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large" and response.json()["extra"]["limit"] == 10
    response = client.post(
        "/api/feedback/",
        {"events": "nope"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key.plaintext}",
    )
    assert response.status_code == 400 and response.json()["extra"]["field"] == "events"
    assert Feedback.objects.count() == 0


@pytest.mark.parametrize("n", [1000, 3000])
def test_ingestion_query_count_is_bounded(key, client, django_assert_max_num_queries, n):
    events = [{"event_id": f"q{i}", "kind": "thumbs", "system": f"sys-{i % 3}", "value": i % 2} for i in range(n)]
    # auth + systems + outputs + existing ids + savepoints + INSERT batches + last_used update: no per-event query.
    # INSERT batches: 1000 rows each, or fewer where the backend caps parameters (SQLite: 999 per statement).
    fields = [f for f in Feedback._meta.concrete_fields if not f.primary_key]
    batch = min(1000, connection.ops.bulk_batch_size(fields, [None] * n))
    with django_assert_max_num_queries(8 + math.ceil(n / batch)):
        body = post(client, events, key.plaintext).json()
    assert body["accepted"] == n


# ------------------------------------------------------------------------------------ owner pages


def test_owner_page_creates_and_revokes_keys_with_csrf(study):
    client = Client(enforce_csrf_checks=True)
    client.force_login(study.owner)
    url = reverse("owner-feedback", args=[study.slug])
    assert client.post(url, {"name": "x"}).status_code == 403  # no CSRF token
    page = client.get(url)
    token = str(page.context["csrf_token"])
    created = client.post(url, {"name": "backend", "csrfmiddlewaretoken": token})
    assert created.status_code == 200
    plaintext = created.context["new_key"].plaintext
    assert plaintext in created.content.decode()
    assert plaintext not in client.get(url).content.decode()  # shown once
    key = ApiKey.objects.get(study=study)
    revoke = reverse("owner-api-key-revoke", args=[study.slug, key.pk])
    assert client.post(revoke, {"csrfmiddlewaretoken": token}).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert (
        Client()
        .post(
            "/api/feedback/",
            {"events": make_events(1)[0]},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {plaintext}",
        )
        .status_code
        == 401
    )


def test_owner_pages_are_owner_only(study, client):
    for name in ("owner-feedback", "owner-exports"):
        url = reverse(name, args=[study.slug])
        client.force_login(OwnerFactory())
        assert client.get(url).status_code == 404
        client.force_login(UserFactory())  # a rater account, not an owner
        assert client.get(url).status_code == 403


def test_api_key_management_api(study, client):
    client.force_login(study.owner)
    created = client.post(f"/api/studies/{study.slug}/api-keys/", {"name": "ci"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["key"].startswith("evk_")
    listed = client.get(f"/api/studies/{study.slug}/api-keys/").json()
    assert [k["name"] for k in listed] == ["ci"] and "key" not in listed[0] and "key_hash" not in listed[0]
    revoked = client.post(f"/api/studies/{study.slug}/api-keys/{listed[0]['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    client.force_login(OwnerFactory())
    assert client.get(f"/api/studies/{study.slug}/api-keys/").status_code == 404


def test_feedback_page_compares_online_ranking_with_the_blind_leaderboard(study, key, client):
    # Real users prefer sys-2 over sys-1; the blind study says the opposite.
    events = []
    for i, (a, b, winner) in enumerate(
        [("sys-0", "sys-1", "a")] * 8
        + [("sys-0", "sys-2", "a")] * 8
        + [("sys-2", "sys-1", "a")] * 8
        + [("sys-1", "sys-0", "a")] * 2
        + [("sys-1", "sys-2", "a")] * 2
        + [("sys-2", "sys-0", "a")] * 2
    ):
        events.append({"event_id": f"p{i}", "kind": "preference", "system": a, "system_b": b, "winner": winner})
    assert post(client, events, key.plaintext).json()["accepted"] == len(events)
    Leaderboard.objects.create(
        study=study,
        criterion="overall",
        result={
            "systems": [
                {"system": "sys-0", "score": 1100},
                {"system": "sys-1", "score": 1000},
                {"system": "sys-2", "score": 900},
            ]
        },
        computed_at=timezone.now(),
    )
    client.force_login(study.owner)
    page = client.get(reverse("owner-feedback", args=[study.slug]))
    summary = page.context["summary"]
    assert summary["online_basis"] == "ab_bt"
    assert summary["kendall_tau"] == pytest.approx(1 / 3)
    assert summary["disagreements"] == [{"blind_better": "sys-1", "online_better": "sys-2"}]
    html = page.content.decode()
    assert "real users prefer <strong>sys-2</strong>" in html


def test_feedback_page_without_blind_leaderboard_says_so(study, client):
    client.force_login(study.owner)
    html = client.get(reverse("owner-feedback", args=[study.slug])).content.decode()
    assert "No blind leaderboard has been computed yet" in html


def test_a_large_request_body_is_accepted(key, client):
    # 1000 events with 3000-character comments: a ~3 MB body, above Django's 2.5 MB form-data limit.
    events = [
        {"event_id": f"big{i}", "kind": "thumbs", "system": "sys-1", "value": 1, "comment": "x" * 3000}
        for i in range(1000)
    ]
    response = post(client, events, key.plaintext)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["accepted"] == 1000


def test_body_over_the_feedback_limit_is_refused_clearly(key, client, settings):
    settings.EVALSITE_FEEDBACK_MAX_BODY_BYTES = 1000
    response = post(
        client,
        [{"event_id": "c", "kind": "thumbs", "system": "sys-1", "value": 1, "comment": "y" * 2000}],
        key.plaintext,
    )
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"
    broken = client.post(
        "/api/feedback/", "{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key.plaintext}"
    )
    assert broken.status_code == 400 and set(broken.json()) == {"message", "code", "extra"}
    assert Feedback.objects.count() == 0
