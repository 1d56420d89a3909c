"""Every domain model has a working admin changelist and add page."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

from ratings.tests.factories import JudgmentChoiceFactory
from tasks.tests.factories import UserFactory

DOMAIN_APPS = ("tasks", "ratings")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", [m for app in DOMAIN_APPS for m in apps.get_app_config(app).get_models()], ids=lambda m: m.__name__
)
def test_admin_pages_for_every_model(client, model):
    assert admin.site.is_registered(model), f"{model.__name__} has no admin page"
    JudgmentChoiceFactory()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    opts = model._meta
    assert client.get(f"/admin/{opts.app_label}/{opts.model_name}/").status_code == 200
    assert client.get(f"/admin/{opts.app_label}/{opts.model_name}/add/").status_code == 200
