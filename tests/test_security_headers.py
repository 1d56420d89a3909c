"""Headers and cookies: CSP on every page, who may frame what, the rater session cookie, API docs for owners."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import Rater
from tasks.tests.factories import ComparisonFactory, OwnerFactory, StudyFactory
from tests.sessions import rater_session

pytestmark = pytest.mark.django_db
MTURK = ("https://worker.mturk.com", "https://workersandbox.mturk.com")


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_owner_and_login_pages_have_an_enforcing_csp_and_refuse_frames():
    owner = OwnerFactory(is_staff=True, is_superuser=True)
    study = StudyFactory(owner=owner)
    client = Client()
    login = client.get(reverse("login"))
    client.force_login(owner)
    for response in (
        login,
        client.get(reverse("owner-home")),
        client.get(reverse("owner-study-outputs", args=[study.slug])),
        client.get("/admin/"),
    ):
        assert response.status_code == 200
        assert "Content-Security-Policy-Report-Only" not in response
        policy = csp(response)
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert "'unsafe-inline'" not in policy.get("default-src", [])
        assert response["X-Frame-Options"] == "DENY"


def test_rater_pages_may_be_framed_by_mturk_only():
    study = StudyFactory()
    ComparisonFactory(study=study)
    client = Client()
    entry = client.get(reverse("rater-entry", args=[study.slug]), {"pid": "w1"})
    consent = client.get(entry["Location"])
    assert consent.status_code == 200
    policy = csp(consent)
    assert tuple(policy["frame-ancestors"]) == MTURK
    assert policy["form-action"] == ["'self'", "https://www.mturk.com", "https://workersandbox.mturk.com"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "X-Frame-Options" not in consent


def test_no_inline_script_or_handler_in_any_template():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        assert " onclick=" not in text and " onload=" not in text and " onsubmit=" not in text, template
        for chunk in text.split("<script")[1:]:
            head = chunk.split(">", 1)[0]
            assert "src=" in head or "application/json" in head or "nonce=" in head, (template, head)


def test_rater_session_cookie_is_its_own_and_cross_site_ready_under_https(settings):
    settings.SESSION_COOKIE_SECURE = True
    study = StudyFactory()
    client = Client()
    response = client.get(reverse("rater-entry", args=[study.slug]), {"pid": "w1"}, secure=True)
    cookie = response.cookies[settings.RATER_SESSION_COOKIE_NAME]
    assert cookie["path"] == "/r/" and cookie["samesite"] == "None" and cookie["secure"] and cookie["httponly"]
    assert cookie.OutputString().endswith("; Partitioned")  # CHIPS: kept by browsers that block third-party cookies
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # the site session is never written by rater pages
    rater = Rater.objects.get(study=study)
    assert rater_session(client)[f"rater:{study.pk}"] == rater.pk


def test_rater_cookie_is_lax_on_plain_http(settings):
    settings.SESSION_COOKIE_SECURE = False
    study = StudyFactory()
    response = Client().get(reverse("rater-entry", args=[study.slug]), {"pid": "w1"})
    cookie = response.cookies[settings.RATER_SESSION_COOKIE_NAME]
    assert cookie["samesite"] == "Lax" and not cookie["secure"]


def test_owner_session_cookie_stays_lax(settings):
    settings.SESSION_COOKIE_SECURE = True
    owner = OwnerFactory()
    client = Client()
    response = client.post(reverse("login"), {"username": owner.username, "password": "pw-for-tests-123"}, secure=True)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["samesite"] == "Lax" and cookie["path"] == "/" and cookie["secure"]


def test_an_owner_session_does_not_leak_into_the_rater_session():
    """Signed in as owner, a rater link still binds a rater in the rater session; the owner session is untouched."""
    owner = OwnerFactory()
    study = StudyFactory()
    client = Client()
    client.force_login(owner)
    before = dict(client.session.items())
    client.get(reverse("rater-entry", args=[study.slug]), {"pid": "p-1"})
    assert dict(client.session.items()) == before
    assert f"rater:{study.pk}" in rater_session(client)
    assert "_auth_user_id" not in rater_session(client)


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_api_docs_are_for_owners_in_production(settings, path):
    settings.EVALSITE_PUBLIC_API_DOCS = False
    assert Client().get(path).status_code in (401, 403)
    owner = Client()
    owner.force_login(OwnerFactory())
    assert owner.get(path).status_code == 200


def test_browsable_api_html_only_for_owners(settings):
    settings.EVALSITE_PUBLIC_API_DOCS = False
    anonymous = Client().get("/api/feedback/", HTTP_ACCEPT="text/html")
    assert anonymous["Content-Type"].startswith("application/json")
    owner = Client()
    owner.force_login(OwnerFactory())
    page = owner.get(reverse("api-study-list"), HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")


def test_swagger_ui_needs_no_inline_script(settings):
    settings.EVALSITE_PUBLIC_API_DOCS = True
    page = Client().get("/api/docs/")
    html = page.content.decode()
    assert "<script>" not in html and "?script=" in html.replace("&amp;", "&")
