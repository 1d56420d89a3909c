"""Owner accounts."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction

from evalsite.errors import ApplicationError
from evalsite.permissions import OWNER_GROUP


@transaction.atomic
def owner_create(*, username: str, password: str, email: str = "") -> AbstractBaseUser:
    """Create an eval-owner account (an account in the owners group). Refuses an existing username."""
    username = username.strip()
    if not username:
        raise ApplicationError("A username is required.", code="username_required")
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ApplicationError(f"The username {username!r} is taken.", code="username_taken")
    user = user_model.objects.create_user(username=username, email=email, password=password)
    group, _ = Group.objects.get_or_create(name=OWNER_GROUP)
    user.groups.add(group)
    return user
