"""Canonical sides and screen sides of a comparison. Pure: no Django.

A Comparison has canonical sides ``a`` and ``b``; an Assignment shows one of them on the left
(``left_side``). Judgments are stored in canonical sides; raters see and answer in screen sides.
"""

from __future__ import annotations

SCREEN_CHOICES = ("left", "right", "tie", "both_bad")


def to_canonical(*, screen_choice: str, left_side: str) -> str:
    """left/right → the canonical side shown there; tie/both_bad stay as they are."""
    right_side = "b" if left_side == "a" else "a"
    return {"left": left_side, "right": right_side}.get(screen_choice, screen_choice)


def to_screen(*, canonical_choice: str, left_side: str) -> str:
    """a/b → the screen side it was shown on for this assignment; tie/both_bad stay."""
    if canonical_choice in ("a", "b"):
        return "left" if canonical_choice == left_side else "right"
    return canonical_choice
