"""What the owner pages and the API say in words: the agreement badge, translated per request.

Selectors return numbers; this module turns them into the sentences an owner reads. (Pictures — SVG
charts — are in ``ratings.charts``.)
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ratings.stats import agreement as ag


def agreement_badge(*, alpha: float | None, interval: list[float | None], n_units: int) -> dict[str, Any]:
    """The agreement check in plain words: level (reliable/tentative/unreliable/unknown), alpha, interval, text."""
    level = ag.alpha_level(alpha)
    low, high = [*interval, None, None][:2]
    if level == "unknown":
        text = _("Not enough comparisons judged by two or more raters to measure agreement yet.")
    else:
        span = (
            _("95%% interval %(low).2f to %(high).2f") % {"low": low, "high": high}
            if low is not None and high is not None
            else _("no interval yet")
        )
        numbers = _("Krippendorff's alpha %(alpha).3f, %(span)s, over %(n)d comparisons") % {
            "alpha": alpha,
            "span": span,
            "n": n_units,
        }
        text = {
            "reliable": _("Raters agree well (%(numbers)s): the results can be relied on."),
            "tentative": _("Raters agree only moderately (%(numbers)s): draw tentative conclusions only."),
            "unreliable": _("Raters do not agree enough (%(numbers)s): treat these results as unreliable."),
        }[level] % {"numbers": numbers}
    return {"level": level, "alpha": alpha, "interval": [low, high], "n_units": n_units, "text": text}


def agreement_badge_for(result: dict[str, Any]) -> dict[str, Any]:
    """The badge of one agreement summary (``ratings.selectors.quality.study_agreement``), with its criterion."""
    badge = agreement_badge(alpha=result["alpha"], interval=result["interval"], n_units=result["n_units"])
    return {**badge, "criterion": result.get("criterion", "")}


#: The display labels of the ratings models' choices that owner pages show, marked for translation
#: (templates use ``{% translate event.get_action_display %}``); a test checks the list is complete.
CHOICE_LABELS = (
    # QualityEvent.Action
    gettext_noop("Flagged"),
    gettext_noop("Unflagged"),
    gettext_noop("Blocked"),
    gettext_noop("Unblocked"),
    gettext_noop("Judgments excluded"),
    gettext_noop("Judgments included again"),
    # Export.Status
    gettext_noop("Pending"),
    gettext_noop("Running"),
    gettext_noop("Done"),
    gettext_noop("Failed"),
)
