"""The one rater simulator: how a simulated crowd member answers one comparison.

Used by the demo loader and `manage.py simulate_raters` (through the product's real engine and submit
service), and by tests and benchmarks that need simulated judgments. Pure Python, no Django.

A comparison is described by the intended quality (0..1) of its two outputs — the demo's import files carry
it in each output's `meta.demo_quality`. Behaviours:

- ``honest``: Bradley-Terry on the quality gap, divided by the rater's ``noise`` (higher = less discerning),
  with ties for close pairs and "both bad" for two weak outputs;
- ``random``: ignores the outputs, uniform over a / b / tie / both bad;
- ``always_left``: the side shown on the left;
- ``speeder``: a or b at random, in one or two seconds.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

BEHAVIOURS: tuple[str, ...] = ("honest", "random", "always_left", "speeder")

#: Bradley-Terry slope: a quality gap of 0.125 gives an honest, noise-1 rater odds of e (≈73% for the better side).
BT_SCALE = 8.0
#: Tie probability for two outputs of equal quality; it falls off as the gap grows (≈19% over the demo's pairs).
TIE_AT_EQUAL = 0.8
#: Below this quality an output is "weak"; two weak outputs are often judged both bad.
WEAK_QUALITY = 0.45


@dataclass(frozen=True)
class RaterProfile:
    """A simulated rater. For honest raters: `noise` divides the quality gap (higher = less discerning),
    `tie_at_equal` is the tie probability for two equal outputs, `both_bad_weak` the "both bad" probability
    when both outputs are weak."""

    name: str
    behaviour: str
    noise: float = 1.0
    tie_at_equal: float = 0.8
    both_bad_weak: float = 0.3


DEMO_RATER_PROFILES: tuple[RaterProfile, ...] = (
    *(
        RaterProfile(f"honest-{i + 1:02d}", "honest", noise)
        for i, noise in enumerate((0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 1.3, 1.5, 1.8))
    ),
    RaterProfile("random-clicker", "random"),
    RaterProfile("always-left", "always_left"),
    RaterProfile("speeder", "speeder"),
)


def simulate_choice(
    rng: random.Random,
    quality_a: float,
    quality_b: float,
    behaviour: str,
    *,
    left_side: str = "a",
    noise: float = 1.0,
    tie_at_equal: float = TIE_AT_EQUAL,
    both_bad_weak: float = 0.3,
) -> str:
    """One simulated choice in canonical sides: 'a', 'b', 'tie' or 'both_bad'.

    - honest: both_bad with probability `both_bad_weak` when both outputs are weak (quality < WEAK_QUALITY),
      else 0.02; then a tie with probability `tie_at_equal` · exp(-|d|/2) (with the default 0.8, ≈19% over the
      demo's system pairs); otherwise Bradley-Terry,
      P(a) = 1 / (1 + exp(-d)) with d = BT_SCALE · (quality_a − quality_b) / noise.
    - random: uniform over a / b / tie / both_bad, ignoring quality.
    - always_left: whichever canonical side was shown on the left (`left_side`).
    - speeder: a or b uniformly at random, no ties (clicks before reading).
    """
    if left_side not in ("a", "b"):
        raise ValueError(f"left_side must be 'a' or 'b', not {left_side!r}")
    if behaviour == "honest":
        if noise <= 0:
            raise ValueError("noise must be positive")
        both_bad = both_bad_weak if max(quality_a, quality_b) < WEAK_QUALITY else 0.02
        if rng.random() < both_bad:
            return "both_bad"
        d = BT_SCALE * (quality_a - quality_b) / noise
        if rng.random() < tie_at_equal * math.exp(-abs(d) / 2):
            return "tie"
        return "a" if rng.random() < 1.0 / (1.0 + math.exp(-d)) else "b"
    if behaviour == "random":
        return rng.choice(("a", "b", "tie", "both_bad"))
    if behaviour == "always_left":
        return left_side
    if behaviour == "speeder":
        return rng.choice(("a", "b"))
    raise ValueError(f"unknown behaviour {behaviour!r}; expected one of {', '.join(BEHAVIOURS)}")


def simulate_seconds(rng: random.Random, behaviour: str, *, modality: str = "text") -> float:
    """Seconds a simulated rater spends on one comparison (rounded to 0.1 s).

    Honest raters: log-normal around 20 s for text, 8 s for images, clipped to [4, 180];
    random clickers 3–8 s; always-left 2–5 s; speeders 1–2 s.
    """
    if behaviour == "honest":
        median = 20.0 if modality == "text" else 8.0
        return round(min(180.0, max(4.0, rng.lognormvariate(math.log(median), 0.45))), 1)
    ranges = {"random": (3.0, 8.0), "always_left": (2.0, 5.0), "speeder": (1.0, 2.0)}
    if behaviour not in ranges:
        raise ValueError(f"unknown behaviour {behaviour!r}; expected one of {', '.join(BEHAVIOURS)}")
    low, high = ranges[behaviour]
    return round(rng.uniform(low, high), 1)


def simulate_judgment(
    rng: random.Random,
    profile: RaterProfile,
    quality_a: float,
    quality_b: float,
    *,
    left_side: str,
    modality: str = "text",
) -> tuple[str, float]:
    """(choice, seconds) for one comparison answered by `profile`; choice in canonical sides."""
    choice = simulate_choice(
        rng,
        quality_a,
        quality_b,
        profile.behaviour,
        left_side=left_side,
        noise=profile.noise,
        tie_at_equal=profile.tie_at_equal,
        both_bad_weak=profile.both_bad_weak,
    )
    return choice, simulate_seconds(rng, profile.behaviour, modality=modality)
