"""Owners see their own and shared studies; other owners get 404; raters never reach owner pages or API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tasks.models import Rater
from tasks.tests.factories import OwnerFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    alice, bob = OwnerFactory(username="alice"), OwnerFactory(username="bob")
    own = StudyFactory(owner=alice, name="Alice private study")
    shared = StudyFactory(owner=bob, name="Bob study shared with Alice")
    shared.shared_with.add(alice)
    bobs = StudyFactory(owner=bob, name="Bob only study")
    return {"alice": alice, "bob": bob, "own": own, "shared": shared, "bobs": bobs}


def test_owner_lists_own_and_shared_studies_only(client, world):
    client.force_login(world["alice"])
    html = client.get(reverse("owner-home")).content.decode()
    assert "Alice private study" in html
    assert "Bob study shared with Alice" in html
    assert "Bob only study" not in html

    api = client.get(reverse("api-study-list")).json()
    assert {s["name"] for s in api} == {"Alice private study", "Bob study shared with Alice"}


def test_other_owner_gets_404_on_page_and_api(client, world):
    client.force_login(world["alice"])
    assert client.get(reverse("owner-study", args=[world["bobs"].slug])).status_code == 404
    response = client.get(reverse("api-study-detail", args=[world["bobs"].slug]))
    assert response.status_code == 404
    assert set(response.json()) == {"message", "code", "extra"}
    assert client.get(reverse("owner-study", args=[world["shared"].slug])).status_code == 200


def test_staff_see_every_study(client, world):
    staff = UserFactory(username="staffer", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("owner-study", args=[world["bobs"].slug])).status_code == 200
    assert len(client.get(reverse("api-study-list")).json()) == 3


def test_rater_account_cannot_reach_owner_pages_or_api(client, world):
    rater_user = UserFactory(username="crowdworker")
    Rater.objects.create(
        study=world["own"], platform=Rater.Platform.ACCOUNT, external_id=str(rater_user.pk), user=rater_user
    )
    client.force_login(rater_user)
    assert client.get(reverse("owner-home")).status_code == 403
    assert client.get(reverse("owner-study", args=[world["own"].slug])).status_code == 403
    response = client.get(reverse("api-study-list"))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert client.get("/admin/").status_code == 302  # admin login, not the admin


def test_anonymous_is_sent_to_login_and_refused_by_api(client, world):
    response = client.get(reverse("owner-study", args=[world["own"].slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("api-study-list")).status_code == 403
