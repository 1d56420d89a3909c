"""Pure pairing math (no Django): which outputs meet, and on which canonical side.

- `balanced_orientation` orients a multigraph of matchups so that every system is
  side `a` as often as side `b`, exactly when its number of matchups is even and
  within one otherwise — the best possible. Method: pair up odd-degree vertices
  with dummy edges, walk an Euler circuit of every component (Hierholzer), orient
  each edge along the walk (in = out on a circuit), drop the dummies (each vertex
  loses at most one edge, so |a - b| <= 1). Edge order, start vertices and the
  final global direction are random, so sides carry no information.
- `sample_pairs` picks k distinct pairs per prompt, greedily taking the pair whose
  systems have appeared least so far (random tie-break), then repairs any drift by
  moving single matchups, so that every system appears equally often across the
  study (within one, when the total does not divide evenly).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations


def balanced_orientation(edges: Sequence[tuple[int, int]], rng: random.Random) -> list[bool]:
    """For each edge (u, v) return True when it should be flipped to (v, u).

    Input: a list of matchups between vertex labels (ints, repeats allowed, no loops).
    Output: flips such that, for every vertex, (#times first) - (#times second) is in {-1, 0, 1},
    and 0 whenever its degree is even.
    """
    n_real = len(edges)
    ends: list[tuple[int, int]] = list(edges)
    degree: dict[int, int] = defaultdict(int)
    for u, v in ends:
        degree[u] += 1
        degree[v] += 1
    odd = [vertex for vertex, d in degree.items() if d % 2]
    rng.shuffle(odd)
    for i in range(0, len(odd), 2):
        ends.append((odd[i], odd[i + 1]))
    adjacency: dict[int, list[int]] = defaultdict(list)
    order = list(range(len(ends)))
    rng.shuffle(order)
    for edge_id in order:
        u, v = ends[edge_id]
        adjacency[u].append(edge_id)
        adjacency[v].append(edge_id)
    used = [False] * len(ends)
    pointer: dict[int, int] = defaultdict(int)
    flips = [False] * len(ends)
    starts = list(adjacency)
    rng.shuffle(starts)
    for start in starts:
        stack: list[int] = [start]
        while stack:
            vertex = stack[-1]
            edges_here = adjacency[vertex]
            i = pointer[vertex]
            while i < len(edges_here) and used[edges_here[i]]:
                i += 1
            pointer[vertex] = i
            if i == len(edges_here):
                stack.pop()
                continue
            edge_id = edges_here[i]
            used[edge_id] = True
            u, v = ends[edge_id]
            # Walk vertex -> other end; the edge's first vertex becomes side a.
            other = v if u == vertex else u
            flips[edge_id] = u != vertex
            stack.append(other)
    if rng.random() < 0.5:
        flips = [not f for f in flips]
    return flips[:n_real]


def sample_pairs(
    systems_per_prompt: Sequence[Sequence[int]], k: int, rng: random.Random
) -> list[list[tuple[int, int]]]:
    """For each prompt (its list of system labels) choose min(k, C(n, 2)) distinct pairs.

    Greedy: take the pair with the smallest sum of appearances so far (ties broken at
    random), update, repeat. Prompts are visited in random order so no prompt is favoured.
    """
    appearances: dict[int, int] = defaultdict(int)
    chosen: list[list[tuple[int, int]]] = [[] for _ in systems_per_prompt]
    order = list(range(len(systems_per_prompt)))
    rng.shuffle(order)
    for index in order:
        candidates = list(combinations(sorted(systems_per_prompt[index]), 2))
        rng.shuffle(candidates)
        picks: list[tuple[int, int]] = []
        for _ in range(min(k, len(candidates))):
            best = min(
                range(len(candidates)),
                key=lambda c: (
                    appearances[candidates[c][0]] + appearances[candidates[c][1]],
                    max(appearances[candidates[c][0]], appearances[candidates[c][1]]),
                ),
            )
            pair = candidates.pop(best)
            appearances[pair[0]] += 1
            appearances[pair[1]] += 1
            picks.append(pair)
        chosen[index] = picks
    _even_out(systems_per_prompt, chosen, appearances)
    return chosen


def _even_out(
    systems_per_prompt: Sequence[Sequence[int]], chosen: list[list[tuple[int, int]]], appearances: dict[int, int]
) -> None:
    """Repair greedy drift: while some system appears 2+ times more than another, move one matchup.

    A pair (hi, x) on a prompt that also has `lo` and lacks (lo, x) becomes (lo, x): hi loses one
    appearance, lo gains one, x is unchanged. The sum of squared counts drops each time, so this ends.
    """
    members = [set(systems) for systems in systems_per_prompt]
    for _ in range(10 * len(systems_per_prompt) + 100):
        ranked = sorted(appearances, key=appearances.__getitem__)
        moved = False
        for hi in reversed(ranked):
            for lo in ranked:
                if appearances[hi] - appearances[lo] < 2:
                    break
                for index, picks in enumerate(chosen):
                    if lo not in members[index] or hi not in members[index]:
                        continue
                    present = set(picks)
                    for position, (u, v) in enumerate(picks):
                        if hi not in (u, v):
                            continue
                        other = v if u == hi else u
                        replacement = (min(lo, other), max(lo, other))
                        if other == lo or replacement in present:
                            continue
                        picks[position] = replacement
                        appearances[hi] -= 1
                        appearances[lo] += 1
                        moved = True
                        break
                    if moved:
                        break
                if moved:
                    break
            if moved:
                break
        if not moved:
            return
