"""Style features: our scanner against a transcription of FastChat's counting rules (regular expressions).

The reference below follows ``fastchat/serve/monitor/add_markdown_info.py`` (``count_markdown_elements``,
``remove_pattern``, ``get_element_counts``) line by line; it is written here so the test needs no FastChat
checkout. ``ratings/stats/style.py`` counts with a hand-written scanner instead, so the two are independent.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings.stats.style import (
    answer_style,
    conv_metadata,
    conv_metadata_from_styles,
    count_tokens,
    feature_vector,
    strip_code,
)


def fastchat_counts(turns: list[str], suffix: str) -> dict:
    """FastChat's rules: join assistant turns with newlines, remove code (its quirk included), count."""
    answer = "\n".join(turns)
    pattern = re.compile("```([^`]*)```")
    for block in pattern.findall(answer):
        answer = answer.replace(block, "")
    md = answer
    return {
        f"header_count{suffix}": {f"h{k}": len(re.findall(rf"^#{{{k}}}\s", md, re.MULTILINE)) for k in range(1, 7)},
        f"list_count{suffix}": {
            "ordered": len(re.findall(r"^\s*\d+\.\s", md, re.MULTILINE)),
            "unordered": len(re.findall(r"^\s*[-*+]\s", md, re.MULTILINE)),
        },
        f"bold_count{suffix}": {
            "**": len(re.findall(r"\*\*[^*\n]+\*\*", md)),
            "__": len(re.findall(r"__[^_\n]+__", md)),
        },
    }


def fastchat_feature_sum(meta: dict, name: str) -> int:
    """FastChat's ``extract_style_feature``: an int as is, a dict summed."""
    value = meta[name]
    return value if isinstance(value, int) else sum(value.values())


def without_tokens(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if "tokens" not in k}


SAMPLE = """# Title
Some **bold** text and __more__ and ***tricky*** ones.

## Section
1. first
2. second
   - nested
* star item
+ plus item

### Code
```python
# not a header
- not an item
**not bold**
```
#### four
##### five
###### six
####### seven is not a header
#no space
"""


def test_sample_counts_by_hand():
    style = answer_style(SAMPLE)
    assert style.headers == (1, 1, 1, 1, 1, 1)
    assert style.bold_stars == 2  # **bold** and the inner **tricky** of ***tricky***
    assert style.bold_underscores == 1
    assert style.ordered_items == 2
    assert style.unordered_items == 3
    assert style.code_blocks == 1
    assert style.characters == len(SAMPLE)
    assert style.header_total == 6 and style.list_total == 5 and style.bold_total == 3


def test_sample_matches_fastchat_rules():
    meta = conv_metadata(SAMPLE, "plain answer")
    assert without_tokens(meta) == {**fastchat_counts([SAMPLE], "_a"), **fastchat_counts(["plain answer"], "_b")}


def test_fastchat_code_removal_quirk_is_reproduced():
    # FastChat deletes each block's inner text everywhere: here "\n" inside an empty-ish block eats every
    # newline, so the list items below stop being at line starts.
    text = "```\n```\n- a\n- b\n"
    assert strip_code(text) == "``````- a- b"
    assert answer_style(text).unordered_items == 0
    assert without_tokens(conv_metadata(text, ""))["list_count_a"] == fastchat_counts([text], "_a")["list_count_a"]


def test_unicode_digits_and_whitespace_count_as_re_does():
    text = "\u0663. arabic-indic three\n\u00a0- after a no-break space\n#\u2003em-space header"
    style = answer_style(text)
    assert (style.ordered_items, style.unordered_items, style.headers[0]) == (1, 1, 1)
    assert without_tokens(conv_metadata(text, "")) == {**fastchat_counts([text], "_a"), **fastchat_counts([""], "_b")}


def test_turns_are_joined_with_newlines():
    turns = ["first turn\n# H", "- item"]
    assert answer_style(turns) == answer_style("first turn\n# H\n- item")
    assert answer_style(turns).unordered_items == 1


def test_conv_metadata_has_fastchat_field_names_and_json_types():
    meta = conv_metadata("# a\n**b**\n1. c", "- x")
    assert set(meta) == {
        "sum_assistant_a_tokens",
        "header_count_a",
        "list_count_a",
        "bold_count_a",
        "sum_assistant_b_tokens",
        "header_count_b",
        "list_count_b",
        "bold_count_b",
    }
    assert set(meta["header_count_a"]) == {"h1", "h2", "h3", "h4", "h5", "h6"}
    assert set(meta["list_count_b"]) == {"ordered", "unordered"}
    assert set(meta["bold_count_a"]) == {"**", "__"}
    assert json.loads(json.dumps(meta)) == meta
    assert conv_metadata_from_styles(answer_style("# a\n**b**\n1. c"), answer_style("- x")) == meta
    # FastChat's preprocess_for_style sums the sub-counts; ours agree with the summed features
    style_a = answer_style("# a\n**b**\n1. c")
    assert [fastchat_feature_sum(meta, f"{n}_a") for n in ("header_count", "list_count", "bold_count")] == [
        style_a.header_total,
        style_a.list_total,
        style_a.bold_total,
    ]
    assert meta["sum_assistant_a_tokens"] == count_tokens("# a\n**b**\n1. c")


def test_token_count_follows_cl100k_pretokenisation():
    assert count_tokens("") == 0
    assert count_tokens("Hello world") == 2
    assert count_tokens("1234567") == 3  # digits in runs of at most three
    assert count_tokens("don't") == 2  # "don" + "'t"
    assert count_tokens("Hello, world!") == 4  # Hello , ␠world !
    assert count_tokens("a\n\nb") == 3
    assert count_tokens("x " * 50) == 51  # "x", " x" ×49, then the trailing " " on its own


def test_feature_vector_order_and_errors():
    style = answer_style("# h\n**b** __c__\n- i\n2. j\n```\ncode\n```")
    assert feature_vector(style) == [style.tokens, 1, 2, 2, 1]
    assert feature_vector(style, ("length",), length="characters") == [style.characters]
    with pytest.raises(ValueError, match="unknown style feature"):
        feature_vector(style, ("length", "emoji"))
    with pytest.raises(ValueError, match="length must be"):
        feature_vector(style, length="words")
    with pytest.raises(TypeError, match="sequence of strings"):
        answer_style(["ok", 3])  # type: ignore[list-item]


# Markdown-ish alphabet: every character the rules look at, plus Unicode whitespace and digits.
MARKDOWN_BITS = st.sampled_from(
    [
        "#",
        "##",
        "###",
        "*",
        "**",
        "_",
        "__",
        "-",
        "+",
        "1",
        "12",
        ".",
        " ",
        "\t",
        "\n",
        "\n\n",
        "`",
        "```",
        "a",
        "word",
        "\u00a0",
        "\u0663",
        "\r",
        "\x0b",
    ]
)
MARKDOWN_TEXT = st.lists(MARKDOWN_BITS, max_size=60).map("".join)


@settings(max_examples=600, deadline=None)
@given(st.lists(MARKDOWN_TEXT, min_size=1, max_size=3), MARKDOWN_TEXT)
def test_counts_agree_with_fastchat_rules_on_random_markdown(turns_a, text_b):
    meta = conv_metadata(turns_a, text_b)
    assert without_tokens(meta) == {**fastchat_counts(turns_a, "_a"), **fastchat_counts([text_b], "_b")}


@settings(max_examples=200, deadline=None)
@given(MARKDOWN_TEXT)
def test_code_block_count_is_fastchat_pattern_count(text):
    assert answer_style(text).code_blocks == len(re.findall("```([^`]*)```", text))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_tokens_cover_the_text(text):
    # pieces tile the text: the count is 0 only for the empty text and at most one piece per character
    n = count_tokens(text)
    assert (n == 0) == (text == "")
    assert n <= len(text)
