"""Nobody guesses their way in, nobody floods: login lockouts and rate limits, each caused for real.

- /admin/, the owner login page and API basic auth lock a (username, client) pair after AXES_FAILURE_LIMIT
  failures: the right password is refused with 429 + Retry-After until the cool-off ends; another client
  (or the same client after the cool-off) is not affected.
- DRF throttles (one class, its scope from the route): feedback per API key, owner API per account, rater
  endpoints per rater session; rater entry per client address. 429 with Retry-After.
"""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client
from django.urls import reverse

from ratings.services.feedback import api_key_create
from tasks.models import Rater, System
from tasks.tests.factories import ComparisonFactory, OwnerFactory, StudyFactory
from tests.sessions import csrf_token

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-123"  # tasks/tests/factories.py


@pytest.fixture
def lockout_after_three(settings):
    settings.AXES_FAILURE_LIMIT = 3


def with_rates(settings, **rates: str) -> None:
    config = dict(settings.REST_FRAMEWORK)
    config["DEFAULT_THROTTLE_RATES"] = {**config["DEFAULT_THROTTLE_RATES"], **rates}
    settings.REST_FRAMEWORK = config


def test_defaults_are_documented_values(settings):
    assert settings.AXES_FAILURE_LIMIT == 10 and settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) == {
        "feedback",
        "owner",
        "rater_entry",
        "rater_submit",
        "anonymous",
    }


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_login_pages_lock_out_after_repeated_failures(lockout_after_three, url_name):
    owner = OwnerFactory(is_staff=True)
    url = reverse(url_name)
    client = Client()
    for _ in range(3):
        response = client.post(url, {"username": owner.username, "password": "wrong"})
        assert response.status_code in (200, 429)
    locked = client.post(url, {"username": owner.username, "password": PASSWORD})
    assert locked.status_code == 429, locked.content[:300]
    assert int(locked["Retry-After"]) > 0
    assert b"Too many failed logins" in locked.content
    assert "_auth_user_id" not in client.session
    # the same account from another client address is not locked out
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    response = elsewhere.post(url, {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in elsewhere.session


def test_forty_wrong_passwords_then_the_right_one_fail_by_default():
    """The probe from the issue: 40 wrong passwords, then the right one, on the login page."""
    owner = OwnerFactory()
    client = Client()
    for _ in range(40):
        client.post(reverse("login"), {"username": owner.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_api_basic_auth_locks_out_with_429_and_retry_after(lockout_after_three):
    owner = OwnerFactory()
    client = Client()
    url = reverse("api-study-list")
    assert client.get(url, **basic(owner.username, PASSWORD)).status_code == 200
    for _ in range(3):
        assert client.get(url, **basic(owner.username, "wrong")).status_code in (401, 403, 429)
    locked = client.get(url, **basic(owner.username, PASSWORD))
    assert locked.status_code == 429, locked.content
    assert int(locked["Retry-After"]) > 0
    assert locked.json()["code"] == "throttled"
    assert Client(REMOTE_ADDR="10.1.1.1").get(url, **basic(owner.username, PASSWORD)).status_code == 200


def test_a_success_resets_the_failure_count(lockout_after_three):
    owner = OwnerFactory()
    client = Client()
    for _ in range(2):
        client.post(reverse("login"), {"username": owner.username, "password": "wrong"})
    assert client.post(reverse("login"), {"username": owner.username, "password": PASSWORD}).status_code == 302
    client.post(reverse("logout"))
    for _ in range(2):
        client.post(reverse("login"), {"username": owner.username, "password": "wrong"})
    assert client.post(reverse("login"), {"username": owner.username, "password": PASSWORD}).status_code == 302


def test_feedback_api_is_limited_per_api_key(settings):
    with_rates(settings, feedback="5/min")
    study = StudyFactory(status="live")
    System.objects.create(study=study, name="model-x")
    key = api_key_create(study=study, name="prod", user=None).plaintext
    other = api_key_create(study=study, name="staging", user=None).plaintext
    client = Client()

    def push(api_key: str, n: int):
        body = {"events": [{"event_id": f"e-{n}", "kind": "thumbs", "system": "model-x", "value": 1}]}
        return client.post(
            "/api/feedback/", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_key}"
        )

    codes = [push(key, n).status_code for n in range(5)]
    assert all(code in (200, 201) for code in codes), codes
    limited = push(key, 99)
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert limited.json()["code"] == "throttled"
    assert push(other, 100).status_code in (200, 201)  # another key has its own budget


def test_owner_api_is_limited_per_account(settings):
    with_rates(settings, owner="3/min")
    owner = OwnerFactory()
    client = Client()
    client.force_login(owner)
    url = reverse("api-study-list")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(url)
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    colleague = Client()
    colleague.force_login(OwnerFactory())
    assert colleague.get(url).status_code == 200


def start_rater(client: Client, study, pid: str):
    client.get(reverse("rater-entry", args=[study.slug]), {"pid": pid})
    page = client.get(reverse("rater-consent", args=[study.slug]))
    client.post(reverse("rater-consent", args=[study.slug]), {"csrfmiddlewaretoken": str(page.context["csrf_token"])})
    return client.get(reverse("rater-task", args=[study.slug])).context["config"]


def test_rater_endpoints_are_limited_per_rater_session(settings):
    with_rates(settings, rater_submit="3/min")
    study = StudyFactory()
    ComparisonFactory.create_batch(2, study=study)
    client = Client()
    config = start_rater(client, study, "r-1")
    token = csrf_token(client)

    def report():
        body = json.dumps({"target": "left", "reason": "broken"})
        return client.post(config["reportUrl"], body, content_type="application/json", HTTP_X_CSRFTOKEN=token)

    assert [report().status_code for _ in range(3)] == [200, 200, 200]
    limited = report()
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    # another rater (another session) is not slowed down by the first one
    other = Client()
    other_config = start_rater(other, study, "r-2")
    body = json.dumps({"target": "left", "reason": "broken"})
    response = other.post(
        other_config["reportUrl"], body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token(other)
    )
    assert response.status_code == 200


def test_cookieless_rater_entries_are_limited_per_client(settings):
    """The probe from the issue: a script opening the link without cookies made one Rater per request."""
    with_rates(settings, rater_entry="5/min")
    study = StudyFactory()
    url = reverse("rater-entry", args=[study.slug])
    codes = [Client().get(url).status_code for _ in range(8)]
    assert codes[:5] == [302] * 5 and codes[5:] == [429] * 3, codes
    assert Rater.objects.filter(study=study).count() == 5
    limited = Client().get(url)
    assert int(limited["Retry-After"]) > 0 and b"Please wait" in limited.content
    # a browser that already has its rater session keeps working, and another address is not limited
    returning = Client()
    with_rates(settings, rater_entry="100/min")
    returning.get(url)
    with_rates(settings, rater_entry="5/min")
    assert returning.get(url).status_code == 302
    assert Client(REMOTE_ADDR="10.2.3.4").get(url).status_code == 302


def test_client_address_behind_trusted_proxies(settings, rf):
    from evalsite.security import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.EVALSITE_TRUSTED_PROXIES = 0
    assert client_ip(request) == "10.0.0.1"  # no proxy trusted: a client cannot choose its address
    settings.EVALSITE_TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.9"  # what our one proxy saw; the spoofed 6.6.6.6 is ignored
