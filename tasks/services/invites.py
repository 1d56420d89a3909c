"""Personal invitation links for invite-only studies."""

from __future__ import annotations

import secrets

from django.db import transaction

from evalsite.errors import ApplicationError
from tasks.models import Rater, Study

MAX_INVITES = 1000


def rater_invites_create(*, study: Study, count: int) -> list[Rater]:
    """Create `count` invited raters, each with a secret personal token for the study link."""
    if not 1 <= count <= MAX_INVITES:
        raise ApplicationError(
            f"count must be between 1 and {MAX_INVITES}.", code="invalid_count", extra={"field": "count"}
        )
    with transaction.atomic():
        return Rater.objects.bulk_create(
            [
                Rater(
                    study=study,
                    platform=Rater.Platform.INVITE,
                    external_id=f"invite-{secrets.token_hex(8)}",
                    invite_token=secrets.token_urlsafe(24),
                )
                for _ in range(count)
            ]
        )
