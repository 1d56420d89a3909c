"""Text skeletons for the identity-leak scan (no Django): what a name looks like once disguises are removed.

A rater reads "ChаtGPT" (Cyrillic а), "C l a u d e", "C.l.a.u.d.e", "Cl4ude" or "0penAI" as the name it
imitates; a regular expression over the raw text does not. `skeletons(text)` undoes the usual disguises:

1. NFKC (full-width and other compatibility forms) and case folding;
2. Unicode confusables: each character that Unicode's confusables table (UTS #39, as shipped by the
   `confusable-homoglyphs` package) lists as looking like one ASCII letter or digit is replaced by it, in
   words that contain a Latin letter or that are made of such look-alikes only (so ordinary Cyrillic or
   Chinese text is left alone);
3. leetspeak: in a word that mixes letters with 0 1 3 4 5 7 8 @ $, those become o i/l e a s t b a s;
4. separators: a run of three or more one-character words ("c l a u d e", after splitting on spaces,
   dots, dashes, underscores, slashes, bullets...) is joined into one word.

The result is a few normalised texts (two when a "1" could be an i or an l) in which names are matched
as whole words. False positives are possible by design (the owner reviews every flag).
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources

SEPARATORS = re.compile(r"[\s.\-_·•‧∙⋅*|/\\,:;'\"`~+=()\[\]{}<>!?…‐-―]+")
LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"}
LEET_ONE = ("i", "l")  # "1" stands for either
MIN_RUN = 3  # single characters in a row that are read as one spelled-out word


@lru_cache(maxsize=1)
def confusable_map() -> dict[str, str]:
    """Non-ASCII character -> the ASCII letter or digit it is confusable with (UTS #39 data).

    Built once from `confusable_homoglyphs/confusables.json`; letters win over digits when a character
    looks like both (Cyrillic "О" -> "o", not "0"). Characters that NFKC already maps to ASCII are
    covered by step 1 and also appear here harmlessly.
    """
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    mapping: dict[str, str] = {}
    for char, homoglyphs in data.items():
        if len(char) != 1 or char.isascii():
            continue
        targets = [h["c"] for h in homoglyphs if len(h["c"]) == 1 and h["c"].isascii() and h["c"].isalnum()]
        if targets:
            letters = [t for t in targets if t.isalpha()]
            mapping[char] = (letters or targets)[0].lower()
    return mapping


def _fold_word(word: str, table: dict[str, str]) -> str:
    has_latin = any("a" <= c <= "z" or "A" <= c <= "Z" for c in word)
    if has_latin or all(c in table or c.isascii() for c in word):
        word = "".join(table.get(c, c) for c in word)
    return word.casefold()


def _leet(word: str, one: str) -> str:
    letters = sum(c.isalpha() for c in word)
    if not letters or letters == len(word):
        return word
    return "".join(one if c == "1" else LEET.get(c, c) for c in word)


def skeletons(text: str) -> list[str]:
    """Normalised forms of `text` (see the module docstring): lowercase words separated by single spaces.

    Input: any text. Output: one or two strings (the second when reading "1" as "l" instead of "i"
    changes something). Names are then matched on word boundaries in each.
    """
    table = confusable_map()
    folded = unicodedata.normalize("NFKC", text)
    words = [_fold_word(word, table) for word in SEPARATORS.split(folded) if word]
    results: list[str] = []
    for one in LEET_ONE:
        merged: list[str] = []
        run: list[str] = []
        for word in (_leet(w, one) for w in words):
            if len(word) == 1:
                run.append(word)
                continue
            merged.extend([_leet("".join(run), one)] if len(run) >= MIN_RUN else run)
            run = []
            merged.append(word)
        merged.extend([_leet("".join(run), one)] if len(run) >= MIN_RUN else run)
        skeleton = " ".join(merged)
        if skeleton not in results:
            results.append(skeleton)
    return results


def term_skeleton(term: str) -> str:
    """The skeleton of a name to look for ("Stable Diffusion" -> "stable diffusion", "GPT-4o" -> "gpt 4o")."""
    return skeletons(term)[0]
