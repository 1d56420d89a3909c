"""Cost of rendering model answers to safe HTML (tasks.lib.markdown), against bare markdown-it in the same run.

    .venv/bin/python bench/bench_markdown.py [--repeat 5] [--rounds 30]

Workload: the test corpus of model answers (tasks/tests/markdown_corpus.py: tables, nested lists, code in five
languages, math) plus one 2,000-character answer, and the same set scaled ×10 in length (one long document).
Reference: markdown-it-py's plain CommonMark renderer on the same text (no tables, highlighting, math or
sanitising) — the ratio says what the features cost. Prints the best of --repeat runs, per document.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from markdown_it import MarkdownIt

from tasks.lib.markdown import render_markdown, sanitize_html
from tasks.tests.markdown_corpus import CORPUS, LONG_ANSWER

_bare = MarkdownIt("commonmark", {"html": False})


def best_per_doc(fn: Callable[[str], str], docs: list[str], repeat: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(rounds):
            for doc in docs:
                fn(doc)
        best = min(best, (time.perf_counter() - started) / (rounds * len(docs)))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    docs = [text for _, text, _ in CORPUS] + [LONG_ANSWER]
    sets = {"answers": docs, "one long document (x10)": ["\n\n".join(docs * 10)]}
    print(
        f"{'workload':<26} {'chars/doc':>9} {'bare markdown-it':>17} {'render_markdown':>16} {'ratio':>6} {'of it nh3':>10}"
    )
    for name, texts in sets.items():
        rounds = args.rounds if len(texts) > 1 else max(1, args.rounds // 10)
        bare = best_per_doc(_bare.render, texts, args.repeat, rounds)
        ours = best_per_doc(render_markdown, texts, args.repeat, rounds)
        html = [render_markdown(t) for t in texts]
        clean = best_per_doc(sanitize_html, html, args.repeat, rounds)
        chars = sum(map(len, texts)) // len(texts)
        print(
            f"{name:<26} {chars:>9} {bare * 1e3:>14.3f} ms {ours * 1e3:>13.3f} ms {ours / bare:>6.1f} {clean * 1e3:>7.3f} ms"
        )


if __name__ == "__main__":
    main()
