"""The one rater simulator: how a simulated crowd member answers, one comparison or a whole crowd at once.

Used by the demo loader and `manage.py simulate_raters` (through the product's real engine and submit
service), and by tests and benchmarks that need simulated judgments. Pure Python and numpy, no Django.

**One model.** A comparison is described by the intended quality (0..1) of its two outputs — the demo's
import files carry it in each output's `meta.demo_quality`. An honest rater sees the quality gap
``d = BT_SCALE · (quality_a − quality_b) / noise`` and answers "both bad" (two weak outputs), then "tie"
(close pairs), then a or b by Bradley-Terry on ``d`` plus a push towards the side shown on the left
(`choice_probabilities`). Behaviours:

- ``honest``: as above;
- ``random``: ignores the outputs, uniform over a / b / tie / both bad;
- ``always_left``: the side shown on the left;
- ``speeder``: a or b at random, in one or two seconds.

`simulate_choice` / `simulate_judgment` draw one answer; `simulate_crowd` draws a whole structured crowd
(per-rater noise, taste, position bias and tie habit; per-prompt difficulty and system×prompt interaction;
raters judging many items; spammers mixed in; gold and repeat items) as numpy arrays with known true
strengths. With every crowd effect switched off a crowd judgment is exactly a `simulate_choice` draw
(the same `choice_probabilities`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

BEHAVIOURS: tuple[str, ...] = ("honest", "random", "always_left", "speeder")
#: Choice codes of `simulate_crowd` arrays: ``CHOICES[code]``, in canonical sides.
CHOICES: tuple[str, ...] = ("a", "b", "tie", "both_bad")
#: Item kinds of `simulate_crowd` arrays: ``KINDS[code]`` (as `Comparison.kind`).
KINDS: tuple[str, ...] = ("regular", "gold", "repeat")
A, B, TIE, BOTH_BAD = 0, 1, 2, 3
BEHAVIOURS_SORTED: tuple[str, ...] = tuple(sorted(BEHAVIOURS))
REGULAR, GOLD, REPEAT = 0, 1, 2

#: Bradley-Terry slope: a quality gap of 0.125 gives an honest, noise-1 rater odds of e (≈73% for the better side).
BT_SCALE = 8.0
#: Tie probability for two outputs of equal quality; it falls off as the gap grows (≈19% over the demo's pairs).
TIE_AT_EQUAL = 0.8
#: Below this quality an output is "weak"; two weak outputs are often judged both bad.
WEAK_QUALITY = 0.45
#: "Both bad" probability when at least one output is not weak.
BOTH_BAD_OTHERWISE = 0.02
#: Qualities of the two outputs of a simulated gold item (an obvious answer).
GOLD_QUALITIES = (0.85, 0.15)


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


def _check_behaviour(behaviour: str) -> None:
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"unknown behaviour {behaviour!r}; expected one of {', '.join(BEHAVIOURS)}")


def honest_stages(
    quality_a, quality_b, *, noise=1.0, tie_at_equal=TIE_AT_EQUAL, both_bad_weak=0.3, left_is_a=True, position_bias=0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The honest rater's three stages: P(both bad), P(tie | not both bad), P(a | neither).

    Scalars or arrays (broadcast). ``d = BT_SCALE · (quality_a − quality_b) / noise``;
    P(both bad) = `both_bad_weak` when both qualities are below `WEAK_QUALITY`, else `BOTH_BAD_OTHERWISE`;
    P(tie | ·) = `tie_at_equal` · exp(−|d|/2); P(a | ·) = 1 / (1 + exp(−(d ± position_bias))), with
    `position_bias` (logits, > 0 favours the left side) added when a is shown on the left and subtracted when
    b is. Position bias does not change the tie or both-bad rates.
    """
    qa = np.asarray(quality_a, dtype=np.float64)
    qb = np.asarray(quality_b, dtype=np.float64)
    noise = np.asarray(noise, dtype=np.float64)
    if np.any(noise <= 0):
        raise ValueError("noise must be positive")
    d = BT_SCALE * (qa - qb) / noise
    both_bad = np.where(np.maximum(qa, qb) < WEAK_QUALITY, both_bad_weak, BOTH_BAD_OTHERWISE)
    tie = tie_at_equal * np.exp(-np.abs(d) / 2.0)
    push = np.where(left_is_a, 1.0, -1.0) * np.asarray(position_bias, dtype=np.float64)
    p_a = 1.0 / (1.0 + np.exp(-(d + push)))
    return both_bad, tie, p_a


def choice_probabilities(
    quality_a,
    quality_b,
    behaviour: str,
    *,
    left_side: str = "a",
    noise=1.0,
    tie_at_equal=TIE_AT_EQUAL,
    both_bad_weak=0.3,
    position_bias=0.0,
) -> np.ndarray:
    """P(a), P(b), P(tie), P(both bad) — in `CHOICES` order, last axis — of one behaviour on one or many items.

    The model behind `simulate_choice` and `simulate_crowd` (see `honest_stages` for the honest one).
    """
    _check_behaviour(behaviour)
    if left_side not in ("a", "b"):
        raise ValueError(f"left_side must be 'a' or 'b', not {left_side!r}")
    shape = np.broadcast_shapes(np.shape(quality_a), np.shape(quality_b))
    out = np.zeros((*shape, 4))
    if behaviour == "honest":
        bb, tie, p_a = honest_stages(
            quality_a,
            quality_b,
            noise=noise,
            tie_at_equal=tie_at_equal,
            both_bad_weak=both_bad_weak,
            left_is_a=left_side == "a",
            position_bias=position_bias,
        )
        decided = (1.0 - bb) * (1.0 - tie)
        out[..., A], out[..., B] = decided * p_a, decided * (1.0 - p_a)
        out[..., TIE], out[..., BOTH_BAD] = (1.0 - bb) * tie, bb
    elif behaviour == "random":
        out[...] = 0.25
    elif behaviour == "always_left":
        out[..., A if left_side == "a" else B] = 1.0
    else:  # speeder
        out[..., A] = out[..., B] = 0.5
    return out


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
      P(a) = 1 / (1 + exp(-d)) with d = BT_SCALE · (quality_a − quality_b) / noise (`honest_stages`, no
      position bias).
    - random: uniform over a / b / tie / both_bad, ignoring quality.
    - always_left: whichever canonical side was shown on the left (`left_side`).
    - speeder: a or b uniformly at random, no ties (clicks before reading).
    """
    if left_side not in ("a", "b"):
        raise ValueError(f"left_side must be 'a' or 'b', not {left_side!r}")
    _check_behaviour(behaviour)
    if behaviour == "honest":
        both_bad, tie, p_a = honest_stages(
            quality_a, quality_b, noise=noise, tie_at_equal=tie_at_equal, both_bad_weak=both_bad_weak
        )
        if rng.random() < both_bad:
            return "both_bad"
        if rng.random() < tie:
            return "tie"
        return "a" if rng.random() < p_a else "b"
    if behaviour == "random":
        return rng.choice(CHOICES)
    if behaviour == "always_left":
        return left_side
    return rng.choice(("a", "b"))  # speeder


#: Seconds per comparison of the spammer behaviours: uniform in these ranges.
SPAMMER_SECONDS = {"random": (3.0, 8.0), "always_left": (2.0, 5.0), "speeder": (1.0, 2.0)}
#: Honest raters: median seconds by modality (log-normal, sigma 0.45, clipped to [4, 180]).
HONEST_MEDIAN_SECONDS = {"text": 20.0, "image": 8.0}


def simulate_seconds(rng: random.Random, behaviour: str, *, modality: str = "text") -> float:
    """Seconds a simulated rater spends on one comparison (rounded to 0.1 s).

    Honest raters: log-normal around 20 s for text, 8 s for images, clipped to [4, 180];
    random clickers 3–8 s; always-left 2–5 s; speeders 1–2 s.
    """
    _check_behaviour(behaviour)
    if behaviour == "honest":
        median = HONEST_MEDIAN_SECONDS["text" if modality == "text" else "image"]
        return round(min(180.0, max(4.0, rng.lognormvariate(math.log(median), 0.45))), 1)
    low, high = SPAMMER_SECONDS[behaviour]
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


# --------------------------------------------------------------------------------------------------------
# A whole structured crowd at once (vectorised)


@dataclass(frozen=True)
class CrowdDesign:
    """Who judges what, and how the crowd differs from one ideal rater. Every effect defaults to off.

    Items: each prompt offers every pair of systems (``pairs_per_prompt=None``) or that many random pairs;
    each rater judges ``items_per_rater`` distinct regular items (an int, or one int per rater — skewed
    workloads), drawn uniformly from all prompts' items, plus ``gold_per_rater`` gold items and
    ``repeats_per_rater`` flipped repeats of its own regular items (shown later). Raters: ``n_raters``
    honest ones plus ``spammers`` (behaviour → how many, e.g. ``{"random": 2, "always_left": 1}``).

    Honest rater r, prompt p, systems a and b — qualities in the 0..1 units of `simulate_choice`:

    - perceived quality ``q_a = quality[a] + interaction[p, a] + taste[r, a]``, with
      ``interaction ~ N(0, interaction_sd)`` (system × prompt: some systems are better at some prompts) and
      ``taste ~ N(0, taste_sd)`` (per-rater bias: some raters like some systems);
    - the gap is multiplied by the prompt's ``difficulty ~ exp(N(0, difficulty_sd))`` (hard prompts,
      < 1, make systems look alike) and divided by the rater's ``noise ~ noise_median · exp(N(0, noise_sd))``;
    - the rater's ``position_bias ~ N(position_mean, position_sd)`` logits favour the left side;
    - ``tie_at_equal ~ clip(N(tie_at_equal, tie_sd), 0, 1)`` per rater (some raters use "tie" more);
    - then `honest_stages`: both bad, tie, Bradley-Terry.

    Seconds: honest log-normal (sigma 0.45, clipped to [4, 180]) around the modality's median times a
    per-rater ``exp(N(0, speed_sd))``; spammers as `simulate_seconds`. Left side: a fair coin per judgment.
    ``repeat_echo``: chance that an honest rater repeats its earlier answer on a repeat item (else it
    answers afresh from the same probabilities).
    """

    n_systems: int = 8
    n_prompts: int = 50
    n_raters: int = 40
    items_per_rater: int | Sequence[int] = 50
    pairs_per_prompt: int | None = None
    quality: Sequence[float] | None = None  # default: evenly spaced from 0.85 down to 0.25
    spammers: Mapping[str, int] = field(default_factory=dict)
    noise_median: float = 1.0
    noise_sd: float = 0.0
    taste_sd: float = 0.0
    position_mean: float = 0.0
    position_sd: float = 0.0
    difficulty_sd: float = 0.0
    interaction_sd: float = 0.0
    tie_at_equal: float = TIE_AT_EQUAL
    tie_sd: float = 0.0
    both_bad_weak: float = 0.3
    speed_sd: float = 0.0
    gold_per_rater: int = 0
    repeats_per_rater: int = 0
    repeat_echo: float = 0.0
    modality: str = "text"


@dataclass(frozen=True)
class Crowd:
    """A simulated crowd: one row per judgment (numpy arrays of equal length), plus the truth behind it.

    Per judgment: ``rater``, ``prompt``, ``system_a``, ``system_b`` (int64 indices; a/b are the canonical
    sides of the comparison), ``left`` (int8: 0 = side a was shown on the left, 1 = side b), ``choice``
    (int8 code into `CHOICES`, canonical sides), ``seconds`` (float64), ``order`` (int64: position in the
    order *this rater* saw its items, 0 first — rows are stored shuffled, not in that order), ``kind``
    (int8 code into `KINDS`), ``repeat_of`` (row of the judgment a repeat repeats, else −1),
    ``gold_answer`` (int8 code of the right answer on gold items, else −1), ``prob`` ((n, 4) the choice
    probabilities the answer was drawn from).

    Truth: ``behaviour`` per rater (str array), ``noise``, ``position_bias``, ``tie_at_equal`` per rater
    (honest model; NaN for spammers), ``taste`` (raters × systems), ``difficulty`` per prompt,
    ``interaction`` (prompts × systems), ``quality`` per system and ``true_strength`` =
    ``BT_SCALE · (quality − mean quality)``, the natural-log Bradley-Terry strengths of a noise-1 rater on
    an average prompt (centred).
    """

    rater: np.ndarray
    prompt: np.ndarray
    system_a: np.ndarray
    system_b: np.ndarray
    left: np.ndarray
    choice: np.ndarray
    seconds: np.ndarray
    order: np.ndarray
    kind: np.ndarray
    repeat_of: np.ndarray
    gold_answer: np.ndarray
    prob: np.ndarray
    behaviour: np.ndarray
    noise: np.ndarray
    position_bias: np.ndarray
    tie_at_equal: np.ndarray
    taste: np.ndarray
    difficulty: np.ndarray
    interaction: np.ndarray
    quality: np.ndarray
    true_strength: np.ndarray

    def __len__(self) -> int:
        return int(self.rater.size)

    def outcome(self, *, both_bad: str = "tie") -> np.ndarray:
        """Side a's Bradley-Terry outcome per row: 1 (a won), 0 (b won), 0.5 (tie; "both bad" too, or NaN
        with ``both_bad="drop"``) — the product's convention (docs/leaderboards.md)."""
        if both_bad not in ("tie", "drop"):
            raise ValueError(f"both_bad must be 'tie' or 'drop', not {both_bad!r}")
        values = np.array([1.0, 0.0, 0.5, 0.5 if both_bad == "tie" else np.nan])
        return values[self.choice]


def _per_rater_items(design: CrowdDesign, n_total: int) -> np.ndarray:
    items = design.items_per_rater
    counts = np.full(n_total, items, dtype=np.int64) if isinstance(items, int) else np.asarray(items, dtype=np.int64)
    if counts.shape != (n_total,):
        raise ValueError(
            f"items_per_rater has {counts.size} entries; expected one per rater ({n_total}, spammers included)"
        )
    if np.any(counts < 0):
        raise ValueError("items_per_rater must be non-negative")
    return counts


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a fixed, well-mixed 64-bit hash of each value (uint64 in, uint64 out)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _distinct_per_rater(rng: np.random.Generator, counts: np.ndarray, pool_size: int) -> np.ndarray:
    """``counts[r]`` distinct items in ``[0, pool_size)`` for each rater r, concatenated in rater order.

    Draws with replacement and redraws the duplicates (fast when the pool is much larger than a rater's
    share); a rater who takes more than half the pool gets a permutation prefix instead.
    """
    big = counts > pool_size // 2
    owner = np.repeat(np.arange(counts.size), np.where(big, 0, counts))
    items = rng.integers(0, pool_size, owner.size)
    while owner.size:
        key = owner * pool_size + items
        order = np.argsort(key, kind="stable")
        dup = np.zeros(owner.size, dtype=bool)
        dup[order[1:]] = key[order[1:]] == key[order[:-1]]
        if not dup.any():
            break
        items[dup] = rng.integers(0, pool_size, int(dup.sum()))
    out = np.empty(int(counts.sum()), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    small_rows = np.concatenate(
        [s + np.arange(c) for s, c, b in zip(starts, counts, big, strict=True) if not b] or [[]]
    )
    out[small_rows.astype(np.int64)] = items
    for r in np.flatnonzero(big):
        out[starts[r] : starts[r] + counts[r]] = rng.permutation(pool_size)[: counts[r]]
    return out


def _check_design(design: CrowdDesign) -> None:
    if design.n_systems < 2:
        raise ValueError("a crowd needs at least 2 systems")
    if design.n_prompts < 1 or design.n_raters < 0:
        raise ValueError("n_prompts must be >= 1 and n_raters >= 0")
    for behaviour, count in design.spammers.items():
        if behaviour not in BEHAVIOURS or behaviour == "honest":
            raise ValueError(f"unknown spammer behaviour {behaviour!r}; expected random, always_left or speeder")
        if count < 0:
            raise ValueError(f"spammers[{behaviour!r}] must be non-negative")
    for name in ("noise_sd", "taste_sd", "position_sd", "difficulty_sd", "interaction_sd", "tie_sd", "speed_sd"):
        if getattr(design, name) < 0:
            raise ValueError(f"{name} must be non-negative")
    if design.noise_median <= 0:
        raise ValueError("noise_median must be positive")
    if design.modality not in HONEST_MEDIAN_SECONDS:
        raise ValueError(f"modality must be 'text' or 'image', not {design.modality!r}")
    if design.quality is not None and len(design.quality) != design.n_systems:
        raise ValueError(f"quality has {len(design.quality)} entries; expected n_systems = {design.n_systems}")
    if not 0.0 <= design.repeat_echo <= 1.0:
        raise ValueError("repeat_echo must lie in [0, 1]")


def simulate_crowd(
    design: CrowdDesign, *, seed: int | np.random.Generator = 0, prompts_from: Crowd | None = None
) -> Crowd:
    """Draw a whole crowd's judgments under `design` (vectorised; 1.5M judgments in a few seconds).

    Returns a `Crowd`. Raters ``0 .. n_raters-1`` are honest, the spammers follow in the order of
    ``design.spammers``. With every crowd effect off (sd's 0, ``position_mean`` 0, difficulty 1) an honest
    judgment is drawn from exactly the probabilities of `simulate_choice` for that rater's noise / tie /
    both-bad settings. Deterministic for a given ``seed``.

    ``prompts_from``: reuse that crowd's prompts (their difficulty and system × prompt interaction; it
    must have ``design.n_prompts`` prompts and ``design.n_systems`` systems) — another crowd on the same
    prompts, e.g. to compute what a leaderboard on these prompts converges to.
    """
    _check_design(design)
    if prompts_from is not None and prompts_from.interaction.shape != (design.n_prompts, design.n_systems):
        raise ValueError(
            f"prompts_from has {prompts_from.interaction.shape[0]} prompts × {prompts_from.interaction.shape[1]}"
            f" systems; the design has {design.n_prompts} × {design.n_systems}"
        )
    rng = np.random.default_rng(seed)
    k, n_prompts = design.n_systems, design.n_prompts
    behaviours = ["honest"] * design.n_raters + [b for b, c in design.spammers.items() for _ in range(c)]
    n_raters = len(behaviours)
    behaviour = np.array(behaviours, dtype="<U11")
    honest = behaviour == "honest"
    quality = np.linspace(0.85, 0.25, k) if design.quality is None else np.asarray(design.quality, dtype=np.float64)

    # Who is like what.
    noise = design.noise_median * np.exp(rng.normal(0.0, design.noise_sd, n_raters))
    position = rng.normal(design.position_mean, design.position_sd, n_raters)
    tie_at_equal = np.clip(rng.normal(design.tie_at_equal, design.tie_sd, n_raters), 0.0, 1.0)
    taste = rng.normal(0.0, design.taste_sd, (n_raters, k))
    speed = np.exp(rng.normal(0.0, design.speed_sd, n_raters))
    difficulty = np.exp(rng.normal(0.0, design.difficulty_sd, n_prompts))
    interaction = rng.normal(0.0, design.interaction_sd, (n_prompts, k))
    if prompts_from is not None:
        difficulty, interaction = prompts_from.difficulty, prompts_from.interaction

    # The item pool: item = prompt · per + slot, never materialised (a 1000-prompt, 130-system pool has 8M
    # items); each item's canonical orientation is a fixed coin per item (a hash, so repeated draws agree).
    lo, hi = np.triu_indices(k, 1)
    if design.pairs_per_prompt is None:
        per = lo.size
        slots = None
    else:
        per = min(int(design.pairs_per_prompt), lo.size)
        if per < 1:
            raise ValueError("pairs_per_prompt must be at least 1")
        slots = np.stack([rng.choice(lo.size, per, replace=False) for _ in range(n_prompts)])
    salt = np.uint64(rng.integers(0, 2**63))
    pool_size = n_prompts * per

    def item_sides(item: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p, slot = item // per, item % per
        pair = slot if slots is None else slots[p, slot]
        flip = (_mix64(item.astype(np.uint64) ^ salt) >> np.uint64(63)).astype(bool)
        return p, np.where(flip, hi[pair], lo[pair]), np.where(flip, lo[pair], hi[pair])

    counts = _per_rater_items(design, n_raters)
    if counts.size and counts.max() > pool_size:
        raise ValueError(f"a rater cannot judge {counts.max()} distinct items: the pool has {pool_size}")
    gold = int(design.gold_per_rater)
    repeats = np.minimum(int(design.repeats_per_rater), counts)
    if gold < 0 or design.repeats_per_rater < 0:
        raise ValueError("gold_per_rater and repeats_per_rater must be non-negative")

    # Regular items: distinct per rater.
    reg_rater = np.repeat(np.arange(n_raters), counts)
    reg_item = _distinct_per_rater(rng, counts, pool_size)
    n_reg = reg_item.size
    p_reg, a_reg, b_reg = item_sides(reg_item)
    rater = [reg_rater]
    prompt = [p_reg]
    sys_a, sys_b = [a_reg], [b_reg]
    kind = [np.full(n_reg, REGULAR, dtype=np.int8)]
    repeat_of = [np.full(n_reg, -1, dtype=np.int64)]
    # Gold items: a random prompt and pair, the outputs' qualities fixed to GOLD_QUALITIES on a random side.
    g_rater = np.repeat(np.arange(n_raters), gold)
    g_prompt, g_a, g_b = item_sides(rng.integers(0, pool_size, g_rater.size))
    g_answer = rng.integers(0, 2, g_rater.size).astype(np.int8)
    rater.append(g_rater)
    prompt.append(g_prompt)
    sys_a.append(g_a)
    sys_b.append(g_b)
    kind.append(np.full(g_rater.size, GOLD, dtype=np.int8))
    repeat_of.append(np.full(g_rater.size, -1, dtype=np.int64))
    # Repeats: the first `repeats` regular items of each rater (its items are in random order), flipped.
    starts = np.cumsum(counts) - counts
    r_rows = np.concatenate(
        [np.zeros(0, dtype=np.int64), *(s + np.arange(r) for s, r in zip(starts, repeats, strict=True))]
    )
    rater.append(reg_rater[r_rows])
    prompt.append(prompt[0][r_rows])
    sys_a.append(sys_b[0][r_rows])
    sys_b.append(sys_a[0][r_rows])
    kind.append(np.full(r_rows.size, REPEAT, dtype=np.int8))
    repeat_of.append(r_rows)

    rater_all = np.concatenate(rater)
    prompt_all = np.concatenate(prompt)
    a_all, b_all = np.concatenate(sys_a), np.concatenate(sys_b)
    kind_all = np.concatenate(kind)
    repeat_all = np.concatenate(repeat_of)
    n = rater_all.size
    gold_answer = np.full(n, -1, dtype=np.int8)
    gold_rows = slice(n_reg, n_reg + g_rater.size)
    gold_answer[gold_rows] = g_answer
    left = (rng.random(n) < 0.5).astype(np.int8)

    # Perceived qualities and the choice probabilities.
    qa = quality[a_all] + interaction[prompt_all, a_all] + taste[rater_all, a_all]
    qb = quality[b_all] + interaction[prompt_all, b_all] + taste[rater_all, b_all]
    mid = (qa + qb) / 2.0
    qa = mid + difficulty[prompt_all] * (qa - mid)
    qb = mid + difficulty[prompt_all] * (qb - mid)
    hi_q, lo_q = GOLD_QUALITIES
    qa[gold_rows] = np.where(g_answer == A, hi_q, lo_q)
    qb[gold_rows] = np.where(g_answer == A, lo_q, hi_q)
    prob = np.zeros((n, 4))
    beh = np.searchsorted(BEHAVIOURS_SORTED, behaviour)[rater_all]  # a small int code per row, not a string
    code = dict(zip(BEHAVIOURS_SORTED, range(len(BEHAVIOURS)), strict=True))
    h = beh == code["honest"]
    bb, tie, p_a = honest_stages(
        qa[h],
        qb[h],
        noise=noise[rater_all[h]],
        tie_at_equal=tie_at_equal[rater_all[h]],
        both_bad_weak=design.both_bad_weak,
        left_is_a=left[h] == 0,
        position_bias=position[rater_all[h]],
    )
    decided = (1.0 - bb) * (1.0 - tie)
    prob[h] = np.column_stack([decided * p_a, decided * (1.0 - p_a), (1.0 - bb) * tie, bb])
    prob[beh == code["random"]] = 0.25
    is_left = beh == code["always_left"]
    prob[is_left, A] = left[is_left] == 0
    prob[is_left, B] = left[is_left] == 1
    prob[beh == code["speeder"], :2] = 0.5
    u = rng.random(n)
    choice = (u[:, None] >= np.cumsum(prob, axis=1)[:, :3]).sum(axis=1).astype(np.int8)
    if design.repeat_echo > 0 and r_rows.size:
        rep = np.flatnonzero(kind_all == REPEAT)
        echo = honest[rater_all[rep]] & (rng.random(rep.size) < design.repeat_echo)
        original = choice[repeat_all[rep[echo]]]
        choice[rep[echo]] = np.where(original == A, B, np.where(original == B, A, original))  # sides flipped

    # Seconds and the order each rater saw its items (a repeat after its original).
    seconds = np.empty(n)
    median = HONEST_MEDIAN_SECONDS[design.modality] * speed[rater_all[h]]
    seconds[h] = np.clip(np.exp(np.log(median) + 0.45 * rng.standard_normal(int(h.sum()))), 4.0, 180.0)
    for name, (low, high) in SPAMMER_SECONDS.items():
        m = beh == code[name]
        seconds[m] = rng.uniform(low, high, int(m.sum()))
    seconds = np.round(seconds, 1)
    key = rng.random(n)
    rep = np.flatnonzero(kind_all == REPEAT)
    key[rep] = key[repeat_all[rep]] + (1.0 - key[repeat_all[rep]]) * key[rep]
    by_rater_then_key = np.argsort(rater_all + key * 0.999)  # key in [0, 1): sorts by rater, then key
    order = np.empty(n, dtype=np.int64)
    first = np.searchsorted(rater_all[by_rater_then_key], np.arange(n_raters))
    order[by_rater_then_key] = np.arange(n) - np.repeat(first, np.bincount(rater_all, minlength=n_raters))

    # Store shuffled (as rows of a busy database are), remapping repeat_of.
    perm = rng.permutation(n)
    where = np.empty(n, dtype=np.int64)
    where[perm] = np.arange(n)
    repeat_perm = repeat_all[perm]
    repeat_perm = np.where(repeat_perm >= 0, where[np.maximum(repeat_perm, 0)], -1)
    nan = np.where(honest, 1.0, np.nan)
    return Crowd(
        rater=rater_all[perm],
        prompt=prompt_all[perm],
        system_a=a_all[perm],
        system_b=b_all[perm],
        left=left[perm],
        choice=choice[perm],
        seconds=seconds[perm],
        order=order[perm],
        kind=kind_all[perm],
        repeat_of=repeat_perm,
        gold_answer=gold_answer[perm],
        prob=prob[perm],
        behaviour=behaviour,
        noise=noise * nan,
        position_bias=position * nan,
        tie_at_equal=tie_at_equal * nan,
        taste=taste,
        difficulty=difficulty,
        interaction=interaction,
        quality=quality,
        true_strength=BT_SCALE * (quality - quality.mean()),
    )
