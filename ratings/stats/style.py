"""Style features of an answer text: length, Markdown headers, bold, list items, code blocks.

Pure Python (no Django, no downloads), so the product computes them itself from the texts it stores.

Two uses:

* `answer_style` — the features of one answer, as the style-controlled leaderboard uses them
  (``ratings/stats/style_control.py``): tokens, characters, headers h1–h6, bold ``**``/``__``,
  ordered/unordered list items, fenced code blocks.
* `conv_metadata` — the ``conv_metadata`` dict of one battle in FastChat's field names
  (``sum_assistant_a_tokens``, ``header_count_a`` {h1..h6}, ``list_count_a`` {ordered, unordered},
  ``bold_count_a`` {"**", "__"} and the ``_b`` ones), so FastChat's ``preprocess_for_style`` /
  ``compute_style_control`` (``fastchat/serve/monitor/rating_systems.py``) runs on our battles export unchanged.

Counting rules: FastChat's ``fastchat/serve/monitor/add_markdown_info.py``, reproduced exactly (a test checks
this against a transcription of FastChat's regular expressions on random Markdown-like texts):

1. the assistant turns are joined with ``"\\n"``;
2. code is removed first: for every match of ``` ```([^`]*)``` ``` (a fence, no backtick inside, a fence) the
   *inner* text is deleted with ``str.replace`` — wherever that text occurs in the answer, fences left in
   place — in the order the matches were found in the original text (FastChat's quirk, kept so counts agree);
3. a header of level k is a line that starts with exactly k ``#`` followed by a whitespace character;
4. an ordered item: a line start, any whitespace (may span blank lines), digits, ``.``, a whitespace
   character; an unordered item: the same with one of ``-``, ``*``, ``+`` instead of digits and dot;
5. bold: ``**``, one or more characters that are neither ``*`` nor a newline, ``**`` (and the same with
   ``_``), matches taken left to right without overlap.

"Whitespace" and "digit" are Python's Unicode ``str.isspace`` / ``str.isdecimal``, as in ``re``'s ``\\s`` / ``\\d``;
a "line start" is the start of the text or the position after ``"\\n"``.

Tokens: FastChat counts cl100k_base (tiktoken, ``gpt-3.5-turbo``) tokens, whose BPE files cannot be
downloaded here. We count the *pre-tokenisation pieces* of cl100k_base instead — the regular-expression split
tiktoken applies before BPE (contractions, an optional non-letter then a run of letters, 1–3 digits,
punctuation runs, newlines, other whitespace), with ``\\p{L}`` read as Python's letters and ``\\p{N}`` as
decimal digits. It is deterministic and needs no file; BPE never merges across pieces, so it is a lower bound
on the true cl100k_base count (equal for common English words, lower for long or rare words and non-Latin
scripts). Style control only uses length through normalised differences between two answers, which a
tokenisation proportional to the true one leaves almost unchanged; ``characters`` is given too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# cl100k_base's pre-tokeniser (tiktoken), with \p{L} → [^\W\d_] and \p{N} → \d; the character classes
# "neither letter nor digit" become (?:[^\w]|_) because \w also matches "_".
_PRETOKEN = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)"
    r"|(?:[^\r\n\w]|_)?[^\W\d_]+"
    r"|\d{1,3}"
    r"| ?(?:[^\s\w]|_)+[\r\n]*"
    r"|\s*[\r\n]+"
    r"|\s+(?!\S)"
    r"|\s+"
)

FENCE = "```"


@dataclass(frozen=True)
class AnswerStyle:
    """Style features of one answer (code removed before the Markdown counts, as FastChat does)."""

    tokens: int
    characters: int
    headers: tuple[int, int, int, int, int, int]  # h1..h6
    bold_stars: int  # **bold**
    bold_underscores: int  # __bold__
    ordered_items: int
    unordered_items: int
    code_blocks: int

    @property
    def header_total(self) -> int:
        return sum(self.headers)

    @property
    def bold_total(self) -> int:
        return self.bold_stars + self.bold_underscores

    @property
    def list_total(self) -> int:
        return self.ordered_items + self.unordered_items


def count_tokens(text: str) -> int:
    """Number of cl100k_base pre-tokenisation pieces of ``text`` (see the module docstring): a deterministic,
    download-free stand-in for tiktoken's count and a lower bound on it. ``"Hello world"`` → 2,
    ``"1234567"`` → 3 (digits go in runs of at most three)."""
    return sum(1 for _ in _PRETOKEN.finditer(text))


def _code_blocks(text: str) -> list[str]:
    """Inner texts of the fenced blocks, as ``re.findall(r"```([^`]*)```", text)`` returns them."""
    found: list[str] = []
    pos = 0
    while True:
        start = text.find(FENCE, pos)
        if start < 0:
            return found
        inner_start = start + 3
        tick = text.find("`", inner_start)
        if tick >= 0 and text.startswith(FENCE, tick):
            found.append(text[inner_start:tick])
            pos = tick + 3
        else:
            pos = start + 1


def strip_code(text: str) -> str:
    """``text`` with the inner text of every fenced code block deleted, exactly as FastChat's
    ``remove_pattern`` does it (every occurrence of each block's inner text, fences kept)."""
    for block in _code_blocks(text):
        text = text.replace(block, "")
    return text


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def _header_level(text: str, start: int) -> int:
    """k if the line at ``start`` is ``#``×k followed by whitespace (1 ≤ k ≤ 6), else 0."""
    end = start
    while end < len(text) and text[end] == "#":
        end += 1
    k = end - start
    if 1 <= k <= 6 and end < len(text) and text[end].isspace():
        return k
    return 0


def _list_item_end(text: str, start: int, ordered: bool) -> int:
    """End of a list-item marker at line start ``start`` (FastChat's ``^\\s*\\d+\\.\\s`` / ``^\\s*[-*+]\\s``), or -1."""
    n = len(text)
    pos = start
    while pos < n and text[pos].isspace():
        pos += 1
    if ordered:
        digits = pos
        while pos < n and text[pos].isdecimal():
            pos += 1
        if pos == digits or pos >= n or text[pos] != ".":
            return -1
        pos += 1
    else:
        if pos >= n or text[pos] not in "-*+":
            return -1
        pos += 1
    if pos < n and text[pos].isspace():
        return pos + 1
    return -1


def _count_list_items(text: str, starts: list[int], ordered: bool) -> int:
    count = 0
    resume = 0  # matches never overlap: a marker that swallowed blank lines hides the line starts inside it
    for start in starts:
        if start < resume:
            continue
        end = _list_item_end(text, start, ordered)
        if end >= 0:
            count += 1
            resume = end
    return count


def _count_bold(text: str, mark: str) -> int:
    """Left-to-right, non-overlapping ``mark mark [^mark\\n]+ mark mark`` matches."""
    fence = mark * 2
    count = 0
    pos = 0
    n = len(text)
    while True:
        start = text.find(fence, pos)
        if start < 0:
            return count
        end = start + 2
        while end < n and text[end] != mark and text[end] != "\n":
            end += 1
        if end > start + 2 and text.startswith(fence, end):
            count += 1
            pos = end + 2
        else:
            pos = start + 1


def answer_style(answer: str | Sequence[str]) -> AnswerStyle:
    """Style features of one answer: a text, or the list of its assistant turns (joined with ``"\\n"``).

    ``tokens`` and ``characters`` are counted on the whole answer (code included, as FastChat's token count
    is); headers, bold and list items on the answer with code removed (`strip_code`); ``code_blocks`` is the
    number of fenced blocks (``` ```...``` ``` with no backtick inside).
    """
    if not isinstance(answer, str):
        turns = list(answer)
        if not all(isinstance(turn, str) for turn in turns):
            raise TypeError("an answer is a string or a sequence of strings (its assistant turns)")
        answer = "\n".join(turns)
    text = answer
    blocks = _code_blocks(text)
    body = text
    for block in blocks:
        body = body.replace(block, "")
    starts = _line_starts(body)
    headers = [0] * 6
    for start in starts:
        level = _header_level(body, start)
        if level:
            headers[level - 1] += 1
    return AnswerStyle(
        tokens=count_tokens(text),
        characters=len(text),
        headers=(headers[0], headers[1], headers[2], headers[3], headers[4], headers[5]),
        bold_stars=_count_bold(body, "*"),
        bold_underscores=_count_bold(body, "_"),
        ordered_items=_count_list_items(body, starts, ordered=True),
        unordered_items=_count_list_items(body, starts, ordered=False),
        code_blocks=len(blocks),
    )


def _side_metadata(style: AnswerStyle, suffix: str) -> dict:
    return {
        f"sum_assistant{suffix}_tokens": style.tokens,
        f"header_count{suffix}": {f"h{level}": style.headers[level - 1] for level in range(1, 7)},
        f"list_count{suffix}": {"ordered": style.ordered_items, "unordered": style.unordered_items},
        f"bold_count{suffix}": {"**": style.bold_stars, "__": style.bold_underscores},
    }


def conv_metadata(answer_a: str | Sequence[str], answer_b: str | Sequence[str]) -> dict:
    """FastChat's ``conv_metadata`` of one battle, from the two answers (texts or lists of assistant turns).

    Keys, as ``STYLE_CONTROL_ELEMENTS_V1`` in ``fastchat/serve/monitor/rating_systems.py`` reads them:
    ``sum_assistant_a_tokens`` (int; our token count, see `count_tokens`), ``header_count_a``
    ``{"h1".."h6": int}``, ``list_count_a`` ``{"ordered", "unordered"}``, ``bold_count_a`` ``{"**", "__"}``,
    and the same with ``_b``. All values are plain ints (JSON-ready).
    """
    return conv_metadata_from_styles(answer_style(answer_a), answer_style(answer_b))


def conv_metadata_from_styles(style_a: AnswerStyle, style_b: AnswerStyle) -> dict:
    """`conv_metadata` from features already computed (e.g. stored once per output), same fields."""
    return {**_side_metadata(style_a, "_a"), **_side_metadata(style_b, "_b")}


# The per-answer features the style-controlled fit uses by default, in this order (FastChat's four, then code).
STYLE_FEATURES: tuple[str, ...] = ("length", "headers", "lists", "bold", "code_blocks")
FASTCHAT_FEATURES: tuple[str, ...] = ("length", "headers", "lists", "bold")


def feature_vector(
    style: AnswerStyle, features: Sequence[str] = STYLE_FEATURES, *, length: str = "tokens"
) -> list[int]:
    """The counts the fit uses for one answer: ``length`` (``tokens`` or ``characters``), ``headers`` (h1–h6
    summed), ``lists`` (ordered + unordered), ``bold`` (``**`` + ``__``), ``code_blocks`` — FastChat sums the
    sub-counts the same way (``extract_style_feature``)."""
    if length not in ("tokens", "characters"):
        raise ValueError(f"length must be 'tokens' or 'characters', not {length!r}")
    values = {
        "length": style.tokens if length == "tokens" else style.characters,
        "headers": style.header_total,
        "lists": style.list_total,
        "bold": style.bold_total,
        "code_blocks": style.code_blocks,
    }
    unknown = [f for f in features if f not in values]
    if unknown:
        raise ValueError(f"unknown style feature(s) {unknown}; known: {list(values)}")
    return [values[f] for f in features]
