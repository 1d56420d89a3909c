"""Pairing on launch: regular comparisons per the study's policy, then repeat comparisons.

Called by `study_transition(action="launch")` inside its transaction, with the study row locked.
Gold comparisons already exist (made from the owner's gold marks, see services/gold.py).
"""

from __future__ import annotations

import base64
import math
import os
import random
from collections import defaultdict
from itertools import combinations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from evalsite.errors import ApplicationError
from tasks.lib.pairing import balanced_orientation, sample_pairs
from tasks.models import Assignment, Comparison, Output, Study
from tasks.services.bulk import rows_insert


def public_ids(n: int) -> list[str]:
    """n opaque ids in the format of `new_public_id` (128 random bits, URL-safe base64), from one urandom call."""
    raw = os.urandom(16 * n)
    return [base64.urlsafe_b64encode(raw[i : i + 16]).rstrip(b"=").decode() for i in range(0, 16 * n, 16)]


def _pairs(study: Study, by_prompt: dict[int, dict[int, int]], rng: random.Random) -> list[tuple[int, int, int]]:
    """(prompt id, output id, output id) for every matchup the policy asks for, sides not yet decided."""
    prompts = sorted(by_prompt)
    if study.pairing == Study.Pairing.SAMPLED:
        picks = sample_pairs([sorted(by_prompt[p]) for p in prompts], study.pairs_per_prompt, rng)
        return [
            (p, by_prompt[p][s1], by_prompt[p][s2]) for p, pairs in zip(prompts, picks, strict=True) for s1, s2 in pairs
        ]
    return [
        (p, by_prompt[p][s1], by_prompt[p][s2]) for p in prompts for s1, s2 in combinations(sorted(by_prompt[p]), 2)
    ]


def pairing_generate(*, study: Study, seed: int | None = None) -> dict[str, int]:
    """Create the regular and repeat comparisons of a study once; later calls create nothing.

    Returns how many of each kind were created.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("pairing_generate must run inside the launch transaction")
    if Comparison.objects.filter(study=study, kind=Comparison.Kind.REGULAR).exists():
        return {"regular": 0, "repeat": 0}
    flagged = Output.objects.filter(study=study, leak_review=Output.LeakReview.FLAGGED).count()
    if flagged:
        raise ApplicationError(
            f"{flagged} output(s) are flagged for possible identity leaks: keep or exclude them before launch.",
            code="leaks_unreviewed",
            extra={"flagged": flagged},
        )
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    by_prompt: dict[int, dict[int, int]] = defaultdict(dict)
    system_of: dict[int, int] = {}
    rows = (
        Output.objects.filter(study=study)
        .exclude(leak_review=Output.LeakReview.EXCLUDED)
        .values_list("id", "prompt_id", "system_id")
    )
    for output_id, prompt_id, system_id in rows.iterator(chunk_size=10_000):
        by_prompt[prompt_id][system_id] = output_id
        system_of[output_id] = system_id
    by_prompt = {p: outs for p, outs in by_prompt.items() if len(outs) >= 2}
    if not by_prompt:
        raise ApplicationError(
            "Nothing to pair: no prompt has outputs from two systems (excluded outputs are not paired).",
            code="nothing_to_pair",
        )
    matchups = _pairs(study, by_prompt, rng)
    flips = balanced_orientation([(system_of[a], system_of[b]) for _, a, b in matchups], rng)
    oriented = [(p, b, a) if flip else (p, a, b) for (p, a, b), flip in zip(matchups, flips, strict=True)]
    # Insertion order (and so row ids) follows a random permutation of the prompts, pairs shuffled within
    # each prompt: ids say nothing about prompt order, and rows of one prompt stay together (index locality).
    rank = {p: i for i, p in enumerate(rng.sample(sorted(by_prompt), len(by_prompt)))}
    rng.shuffle(oriented)
    oriented.sort(key=lambda row: rank[row[0]])
    now = timezone.now()
    common = {"study": study.pk, "gold_answers": {}, "gold_explanation": "", "judgment_count": 0, "active": True}
    n_regular = rows_insert(
        model=Comparison,
        columns=["prompt", "output_a", "output_b", "public_id"],
        rows=((p, a, b, pid) for (p, a, b), pid in zip(oriented, public_ids(len(oriented)), strict=True)),
        constants=common | {"kind": Comparison.Kind.REGULAR, "created_at": now},
    )
    n_repeat = 0
    if study.repeat_rate > 0:
        n_repeat = min(n_regular, math.ceil(study.repeat_rate * n_regular))
        originals = list(
            Comparison.objects.filter(study=study, kind=Comparison.Kind.REGULAR).values_list(
                "id", "prompt_id", "output_a_id", "output_b_id"
            )
        )
        rows_insert(
            model=Comparison,
            columns=["prompt", "output_a", "output_b", "public_id", "repeat_of"],
            # flipped: the repeat shows the same pair with canonical sides swapped
            rows=(
                (prompt_id, output_b, output_a, pid, origin)
                for (origin, prompt_id, output_a, output_b), pid in zip(
                    rng.sample(originals, n_repeat), public_ids(n_repeat), strict=True
                )
            ),
            constants=common | {"kind": Comparison.Kind.REPEAT, "created_at": now},
        )
    return {"regular": n_regular, "repeat": n_repeat}


def comparisons_deactivate_for_outputs(*, study: Study, output_ids: list[int]) -> int:
    """Excluded outputs never reach raters: every comparison using them goes inactive, and leases
    raters hold on them right now end (they cannot be submitted; the raters get other work)."""

    uses = Q(output_a_id__in=output_ids) | Q(output_b_id__in=output_ids)
    Assignment.objects.filter(study=study, status=Assignment.Status.LEASED).filter(
        comparison__in=Comparison.objects.filter(uses)
    ).update(status=Assignment.Status.EXPIRED, finished_at=timezone.now())
    return Comparison.objects.filter(study=study, active=True).filter(uses).update(active=False)


def comparisons_reactivate_for_outputs(*, study: Study, output_ids: list[int]) -> int:
    """Kept again: comparisons using these outputs come back unless their other output is still excluded."""

    excluded = Output.objects.filter(study=study, leak_review=Output.LeakReview.EXCLUDED).values("id")
    return (
        Comparison.objects.filter(study=study, active=False)
        .filter(Q(output_a_id__in=output_ids) | Q(output_b_id__in=output_ids))
        .exclude(output_a_id__in=excluded)
        .exclude(output_b_id__in=excluded)
        .update(active=True)
    )
