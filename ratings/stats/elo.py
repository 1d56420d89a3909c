"""Online Elo ratings (kept for comparison with Bradley-Terry), pure numpy, no Django.

The sequential update of Elo (1978) as Chatbot Arena's ``compute_elo`` runs it
(``fastchat/serve/monitor/rating_systems.py``): every rating starts at 1000;
for each battle in time order, with ``E = 1 / (1 + 10^((R_b - R_a)/400))``,
``R_a += k (S - E)`` and ``R_b -= k (S - E)`` where ``S`` is 1 (a won), 0.5
(tie) or 0 (b won), k = 4. Unlike Bradley-Terry, Elo depends on the order of
the battles and weights recent ones more: it is shown beside BT, not instead.
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_K = 4.0


def online_elo(
    a: np.ndarray,
    b: np.ndarray,
    outcome: np.ndarray,
    *,
    n_systems: int,
    k: float = DEFAULT_K,
    scale: float = 400.0,
    base: float = 10.0,
    init: float = 1000.0,
) -> np.ndarray:
    """Ratings after playing battles ``(a[t], b[t], outcome[t])`` in order; outcome is a's result (1, 0.5, 0).

    Returns an array of ``n_systems`` ratings. A Python loop over plain floats:
    Elo is sequential by definition (each update needs the previous ratings).
    """
    a_list = np.asarray(a, dtype=np.int64).tolist()
    b_list = np.asarray(b, dtype=np.int64).tolist()
    o_list = np.asarray(outcome, dtype=np.float64).tolist()
    if not (len(a_list) == len(b_list) == len(o_list)):
        raise ValueError("a, b and outcome must have the same length")
    ratings = [float(init)] * n_systems
    alpha = math.log(base) / scale
    exp = math.exp
    for ia, ib, s in zip(a_list, b_list, o_list, strict=True):
        ra = ratings[ia]
        rb = ratings[ib]
        update = k * (s - 1.0 / (1.0 + exp(alpha * (rb - ra))))
        ratings[ia] = ra + update
        ratings[ib] = rb - update
    return np.asarray(ratings)
