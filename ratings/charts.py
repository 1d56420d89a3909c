"""Small server-side SVG charts for owner pages: dot-and-whisker, heatmap, the rater-quality scatter geometry.
No JavaScript, no CDN.

Every text that comes from data (system names) is escaped; the output is returned as a SafeString ready
for a template. Charts carry ``role="img"``, a <title> and a <desc> for screen readers, use
``currentColor``-independent fills so they print, and scale with their container (``viewBox``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    ticks = []
    value = start
    while value <= hi + 1e-9:
        ticks.append(round(value, 6))
        value += step
    return ticks


def dot_whisker_svg(
    rows: Sequence[dict], *, title: str, description: str, width: int = 720, row_height: int = 22
) -> SafeString:
    """One row per system: a whisker from ``lower`` to ``upper`` and a dot at ``score`` (rows in the given order)."""
    label_w = 190
    top, bottom = 28, 34
    height = top + bottom + row_height * max(len(rows), 1)
    values = [v for r in rows for v in (r["lower"], r["upper"], r["score"]) if v is not None]
    lo, hi = (min(values), max(values)) if values else (900.0, 1100.0)
    pad = max((hi - lo) * 0.05, 5.0)
    lo, hi = lo - pad, hi + pad
    plot_w = width - label_w - 20

    def x(v: float) -> float:
        return label_w + (v - lo) / (hi - lo) * plot_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'class="chart chart-dot-whisker" aria-labelledby="dw-title dw-desc" {FONT}>',
        f'<title id="dw-title">{escape(title)}</title><desc id="dw-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    axis_y = height - bottom + 6
    for t in _nice_ticks(lo, hi):
        tx = x(t)
        parts.append(f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{axis_y}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{tx:.1f}" y="{axis_y + 16}" text-anchor="middle" fill="#333">{t:g}</text>')
    for k, r in enumerate(rows):
        cy = top + row_height * k + row_height / 2
        parts.append(
            f'<text x="{label_w - 8}" y="{cy + 4:.1f}" text-anchor="end" fill="#111">{escape(r["system"])}</text>'
        )
        if r.get("lower") is not None and r.get("upper") is not None:
            parts.append(
                f'<line x1="{x(r["lower"]):.1f}" y1="{cy:.1f}" x2="{x(r["upper"]):.1f}" y2="{cy:.1f}" '
                'stroke="#1f4e79" stroke-width="2"/>'
            )
            for end in (r["lower"], r["upper"]):
                parts.append(
                    f'<line x1="{x(end):.1f}" y1="{cy - 5:.1f}" x2="{x(end):.1f}" y2="{cy + 5:.1f}" '
                    'stroke="#1f4e79" stroke-width="2"/>'
                )
        parts.append(
            f'<circle cx="{x(r["score"]):.1f}" cy="{cy:.1f}" r="4.5" fill="#c0392b">'
            f"<title>{escape(r['system'])}: {r['score']:.1f} [{r.get('lower')}, {r.get('upper')}]</title></circle>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every data string above is escaped


def _diverging(v: float) -> str:
    """0 → red, 0.5 → white, 1 → blue (win rate of the row system)."""
    v = min(max(v, 0.0), 1.0)
    if v < 0.5:
        t = v / 0.5
        r, g, b = 202 + (255 - 202) * t, 0 + 255 * t, 32 + (255 - 32) * t
    else:
        t = (v - 0.5) / 0.5
        r, g, b = 255 - (255 - 5) * t, 255 - (255 - 113) * t, 255 - (255 - 176) * t
    return f"rgb({r:.0f},{g:.0f},{b:.0f})"


def _sequential(v: float) -> str:
    """0 → white, 1 → dark blue."""
    v = min(max(v, 0.0), 1.0)
    return f"rgb({255 - 222 * v:.0f},{255 - 180 * v:.0f},{255 - 120 * v:.0f})"


#: Heatmap labels longer than this are cut (with "…"); the full name stays in each cell's tooltip.
HEATMAP_LABEL_CHARS = 24


def _short(name: str) -> str:
    return name if len(name) <= HEATMAP_LABEL_CHARS else name[: HEATMAP_LABEL_CHARS - 1] + "…"


def heatmap_cell_size(n: int, longest_label: int, *, target_width: int) -> int:
    """The cell size (px) that makes a heatmap of `n` systems about `target_width` wide, between 20 and 100."""
    text_w = min(longest_label, HEATMAP_LABEL_CHARS) * 7
    margins = text_w * 1.5 + 20
    return int(min(100, max(20, (target_width - margins) // max(n, 1))))


def heatmap_svg(
    labels: Sequence[str],
    matrix: Sequence[Sequence[float | None]],
    *,
    title: str,
    description: str,
    kind: str = "win_rate",
    fmt: Callable[[float], str] | None = None,
    cell: int | None = None,
    target_width: int = 540,
) -> SafeString:
    """A labelled square heatmap: row system vs column system. ``kind`` "win_rate" (0..1, diverging) or "count".

    The margins fit the longest label (about 7 px per character at 12 px), and the cells grow so the picture
    is about ``target_width`` px wide (``cell`` fixes them instead): the chart fills its box at its natural
    size; ``width``/``height`` attributes plus CSS ``max-width: 100%`` let it shrink on a phone (no inline
    style attribute, for the Content-Security-Policy).
    """
    n = len(labels)
    shown = [_short(name) for name in labels]
    longest = max((len(name) for name in shown), default=4)
    cell = cell or heatmap_cell_size(n, longest, target_width=target_width)
    text_w = longest * 7
    label_w = text_w + 12
    top = round(text_w * 0.87) + 14  # column labels are rotated by 60 degrees
    size = cell * max(n, 1)
    width, height = label_w + size + round(text_w * 0.5) + 8, top + size + 10  # room for the last rotated label
    finite = [v for row in matrix for v in row if v is not None]
    vmax = max(finite) if finite else 1.0
    fmt = fmt or ((lambda v: f"{v:.2f}") if kind == "win_rate" else (lambda v: f"{v:.0f}"))
    show_text = cell >= 26
    font = 10 if cell < 40 else 12
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" class="chart chart-heatmap" {FONT}>',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for k, name in enumerate(shown):
        cy = top + cell * k + cell / 2 + 4
        parts.append(f'<text x="{label_w - 6}" y="{cy:.1f}" text-anchor="end" fill="#111">{escape(name)}</text>')
        cx = label_w + cell * k + cell / 2 + 4
        parts.append(
            f'<text x="{cx:.1f}" y="{top - 6}" transform="rotate(-60 {cx:.1f} {top - 6})" fill="#111">'
            f"{escape(name)}</text>"
        )
    for r, row in enumerate(matrix):
        for c, v in enumerate(row):
            x0, y0 = label_w + cell * c, top + cell * r
            value = 0.0 if v is None else float(v)
            if v is None:
                fill, text = "#f4f4f4", ""
            else:
                fill = _diverging(value) if kind == "win_rate" else _sequential(value / vmax if vmax else 0.0)
                text = fmt(value)
            tip = f"{escape(labels[r])} vs {escape(labels[c])}: {text or '—'}"
            parts.append(
                f'<rect x="{x0}" y="{y0}" width="{cell}" height="{cell}" fill="{fill}" stroke="#ffffff">'
                f"<title>{tip}</title></rect>"
            )
            if show_text and text:
                dark = bool(kind == "count" and vmax and value / vmax > 0.6)
                dark = dark or (kind == "win_rate" and abs(value - 0.5) > 0.35)
                parts.append(
                    f'<text x="{x0 + cell / 2:.1f}" y="{y0 + cell / 2 + 4:.1f}" text-anchor="middle" font-size="{font}" '
                    f'fill="{"#ffffff" if dark else "#111111"}">{escape(text)}</text>'
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every data string above is escaped


def quality_chart(*, rows: list[dict[str, Any]], width: int = 440, height: int = 340, pad: int = 56) -> dict:
    """Points of a gold-accuracy (y) vs majority-agreement (x) scatter, in SVG coordinates.

    Raters missing either measure are left out (counted in `n_missing`).
    """
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    points = []
    missing = 0
    for row in rows:
        x, y = row.get("majority_agreement"), row.get("gold_accuracy")
        if x is None or y is None:
            missing += 1
            continue
        points.append(
            {
                "cx": round(pad + x * inner_w, 1),
                "cy": round(pad + (1 - y) * inner_h, 1),
                "label": row["rater"],
                "status": row["status"],
                "excluded": row["excluded"],
                "x": x,
                "y": y,
            }
        )
    ticks = [
        {"value": t / 4, "x": round(pad + t / 4 * inner_w, 1), "y": round(pad + (1 - t / 4) * inner_h, 1)}
        for t in range(5)
    ]
    return {
        "width": width,
        "height": height,
        "pad": pad,
        "right": width - pad,
        "bottom": height - pad,
        "mid_x": width / 2,
        "mid_y": height / 2,
        "points": points,
        "ticks": ticks,
        "n_missing": missing,
    }


#: Heatmaps show at most this many systems (the best ones); the page says when it cut.
HEATMAP_MAX_SYSTEMS = 30
#: Up to this many systems the two heatmaps share a row.
HEATMAP_SIDE_BY_SIDE_MAX = 10


def leaderboard_charts(result: dict[str, Any]) -> dict[str, Any]:
    """The leaderboard page's pictures of one stored Bradley-Terry result: the dot-and-whisker chart and the
    win-rate and battle-count heatmaps (of the best HEATMAP_MAX_SYSTEMS systems), with whether it cut."""
    rows = result["systems"]
    order = result["order"][:HEATMAP_MAX_SYSTEMS]
    m = len(order)
    # side by side (each about half the page) while both fit at a legible scale; else one per row
    target = 540 if m <= HEATMAP_SIDE_BY_SIDE_MAX else 1100
    return {
        "dot_whisker": dot_whisker_svg(
            rows,
            title=_("Bradley-Terry scores with 95% bootstrap intervals"),
            # xgettext:no-python-format
            description=_("One row per system, best first: the dot is the score, the whisker the 95% interval."),
        ),
        "heatmap_truncated": len(result["order"]) > HEATMAP_MAX_SYSTEMS,
        # side by side while both fit at a legible scale; one per row for many systems
        "heatmap_many": m > HEATMAP_SIDE_BY_SIDE_MAX,
        "heatmap_max": HEATMAP_MAX_SYSTEMS,
        "win_rate_svg": heatmap_svg(
            order,
            [row[:m] for row in result["win_rate"][:m]],
            title=_("Win rate of the row system against the column system (ties excluded)"),
            description=_("Blue: the row system wins more often; red: it loses more often; grey: never compared."),
            kind="win_rate",
            target_width=target,
        ),
        "battles_svg": heatmap_svg(
            order,
            [[None if x == y else v for y, v in enumerate(row[:m])] for x, row in enumerate(result["battles"][:m])],
            title=_("Number of judgments for each pair of systems"),
            description=_("Darker cells: more judgments compared these two systems."),
            kind="count",
            target_width=target,
        ),
    }
