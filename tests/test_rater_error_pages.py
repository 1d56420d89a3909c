"""Raters never see Django's debug pages: unknown, draft and mistyped links and server errors get friendly,
translated pages under /r/, with DEBUG on (as `make run` has it) and off."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from tasks.tests.factories import ComparisonFactory, StudyFactory

pytestmark = pytest.mark.django_db
DEBUG_PAGE_MARKS = ("URLconf", "Traceback", "Django tried these URL patterns", "DEBUG = True", "Request Method")


def assert_friendly(resp, status: int, *, text: str) -> str:
    html = resp.content.decode()
    assert resp.status_code == status
    assert resp["Content-Type"].startswith("text/html")
    assert text in html
    assert not any(mark in html for mark in DEBUG_PAGE_MARKS), html[:400]
    return html


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_draft_and_mistyped_rater_links_get_one_friendly_page(settings, debug):
    settings.DEBUG = debug
    draft = StudyFactory(status="draft")
    pages = [
        Client().get("/r/no-such-study/"),  # a view's Http404
        Client().get(reverse("rater-entry", args=[draft.slug])),  # a draft looks exactly like an unknown slug
        Client().get(reverse("rater-task", args=[draft.slug])),
        Client().get("/r/no-such-study/extra/path/"),  # the resolver's 404
    ]
    bodies = [assert_friendly(r, 404, text="This link does not lead to an open study") for r in pages]
    assert draft.name not in "".join(bodies)


def test_the_friendly_404_is_translated(settings):
    settings.DEBUG = True
    resp = Client(HTTP_ACCEPT_LANGUAGE="zh-Hans").get("/r/no-such-study/")
    assert_friendly(resp, 404, text="此链接没有指向正在进行的研究")


@pytest.mark.parametrize("debug", [True, False])
def test_a_server_error_on_a_rater_page_shows_no_traceback(settings, monkeypatch, caplog, debug):
    settings.DEBUG = debug
    study = StudyFactory()
    ComparisonFactory(study=study)
    client = Client(raise_request_exception=False)
    client.get(reverse("rater-entry", args=[study.slug]), {"pid": "err-1"})
    client.post(reverse("rater-consent", args=[study.slug]))

    def broken(**kwargs):
        raise RuntimeError("a bug in the assignment engine")

    monkeypatch.setattr("tasks.views.rater.assignment_next", broken)  # stands in for any server bug
    resp = client.get(reverse("rater-task", args=[study.slug]))
    html = assert_friendly(resp, 500, text="Something went wrong")
    assert "assignment engine" not in html
    assert "a bug in the assignment engine" in caplog.text  # still logged, with the traceback


def test_images_and_json_endpoints_keep_their_own_errors(settings):
    settings.DEBUG = True
    study = StudyFactory()
    assert Client().get(reverse("blind-image", args=["nope"])).status_code == 404
    resp = Client().post(reverse("rater-skip", args=[study.slug, "nope"]), {}, content_type="application/json")
    assert resp["Content-Type"].startswith("application/json")
    assert "code" in resp.json()


def test_site_wide_error_templates_without_debug(settings):
    settings.DEBUG = False
    assert_friendly(Client().get("/no/such/page/"), 404, text="Page not found")
    request = RequestFactory().get("/anything/")
    request.session = SessionStore()  # as the session middleware leaves it (the CSRF secret lives in the session)
    resp = server_error(request)
    assert resp.status_code == 500 and "Something went wrong" in resp.content.decode()


def test_favicon_ico_points_at_the_favicon():
    resp = Client().get("/favicon.ico")
    assert resp.status_code == 301 and resp["Location"] == "/static/favicon.svg"
