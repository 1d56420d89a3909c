"""tasks/lib/markdown.py: Markdown as chat models write it, and nothing unsafe gets through.

The HTML is parsed (html.parser, not substring checks): structure is counted with small CSS-like
selectors, and "raw Markdown left over" means Markdown syntax in the text a reader sees outside code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.lib.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_CLASSES,
    ALLOWED_TAGS,
    highlight_css,
    render_markdown,
    sanitize_html,
)
from tasks.tests.markdown_corpus import CORPUS

ROOT = Path(__file__).resolve().parents[2]
VOID = {"br", "hr", "img", "input", "meta", "link", "mspace", "mprescripts", "none"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def walk(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, parent=self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _matches(node: Node, simple: str) -> bool:
    """`tag`, `tag.class` or `tag[attr=value]`."""
    simple, _, attr = simple.partition("[")
    tag, _, cls = simple.partition(".")
    if attr:
        name, _, value = attr.rstrip("]").partition("=")
        if node.attrs.get(name) != value:
            return False
    return node.tag == tag and (not cls or cls in node.classes)


def select(root: Node, selector: str) -> list[Node]:
    """Nodes matching a selector of `tag`, `tag.class`, descendant (space) and child (`>`) steps."""
    steps = selector.replace(">", " > ").split()

    def match(node: Node | None, i: int) -> bool:
        if node is None or not _matches(node, steps[i]):
            return False
        if i == 0:
            return True
        if steps[i - 1] == ">":
            return match(node.parent, i - 2)
        ancestor = node.parent
        while ancestor is not None:
            if match(ancestor, i - 1):
                return True
            ancestor = ancestor.parent
        return False

    return [n for n in root.walk() if match(n, len(steps) - 1)]


BLOCKS = {"p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "div", "tr", "ul", "ol"}


def reader_text(root: Node) -> str:
    """The text a reader sees outside code and math, one line per block and per <br>."""
    out: list[str] = []

    def visit(node: Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                out.append(child)
            elif child.tag in ("pre", "code", "math"):
                out.append(" ")
            elif child.tag == "br":
                out.append("\n")
            else:
                if child.tag in BLOCKS:
                    out.append("\n")
                visit(child)
                if child.tag in BLOCKS:
                    out.append("\n")

    visit(root)
    return "".join(out)


LEFTOVER = [
    ("list marker", re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+\S", re.M)),
    ("heading", re.compile(r"^\s*#{1,6}\s", re.M)),
    ("table row", re.compile(r"^\s*\|.*\|\s*$", re.M)),
    ("table rule", re.compile(r"\|?\s*:?-{3,}:?\s*\|")),
    ("emphasis", re.compile(r"\*\*|__|~~")),
    ("fence", re.compile(r"```|~~~")),
    ("display math", re.compile(r"\$\$|\\\[|\\\]")),
    ("inline math", re.compile(r"\\\(|\\\)|\$[^\s$\d][^$\n]*?[^\s$]\$")),
    ("task box", re.compile(r"\[[ xX]\]")),
    ("link", re.compile(r"\]\(")),
]


def leftovers(html: str) -> list[str]:
    text = reader_text(parse(html))
    return [f"{name}: {m.group(0)!r}" for name, rx in LEFTOVER for m in rx.finditer(text)]


def test_a_list_right_after_a_line_is_a_list():
    root = parse(render_markdown("Intro:\n- a\n- b"))
    assert [li.children for li in select(root, "ul > li")] == [["a"], ["b"]]
    assert select(root, "p")[0].children == ["Intro:"]


@pytest.mark.parametrize(("name", "source", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_renders_with_no_markdown_left_over(name, source, expected):
    html = render_markdown(source)
    root = parse(html)
    counts = {selector: len(select(root, selector)) for selector in expected}
    assert counts == expected, html
    assert leftovers(html) == [], html


def test_the_leftover_check_can_fail():
    """The detector itself: what the old renderer produced for a chat answer is caught."""
    assert leftovers("<p>Intro:<br>- a<br>- b</p>") != []
    assert leftovers("<p>| a | b |<br>|---|---|</p>") != []
    assert leftovers("<p>so $x^2$ and \\(y\\)</p>") != []
    assert leftovers("<p>costs $5 and $10</p>") == []


@pytest.mark.parametrize(
    "text",
    [
        "It costs $5 and $10.",
        "Between $5 and $10 per month",
        "Prices: $5/$10/$20",
        "US$5 to US$10",
        "echo $HOME/$PATH",
        "Escaped \\$x\\$ stays text",
        "费用$5到$10之间",
    ],
)
def test_currency_and_shell_dollars_stay_text(text):
    root = parse(render_markdown(text))
    assert select(root, "math") == []
    assert "$" in reader_text(root)


@pytest.mark.parametrize(
    ("text", "inline", "display"),
    [
        ("$x^2$", 1, 0),
        ("\\(x^2\\)", 1, 0),
        ("Area: $$\\pi r^2$$ here", 0, 1),
        ("\\[\\pi r^2\\]", 0, 1),
        ("$$\n\\pi r^2\n$$", 0, 1),
        ("Text:\n\\[\n\\int_0^1 x\\,dx\n\\]", 0, 1),
        ("设$x$为正数", 1, 0),
    ],
)
def test_math_to_mathml(text, inline, display):
    root = parse(render_markdown(text))
    maths = select(root, "math")
    assert [m.attrs["display"] for m in maths].count("inline") == inline
    assert [m.attrs["display"] for m in maths].count("block") == display


def test_math_source_symbols_and_text_survive_serialisation():
    root = parse(render_markdown("$\\text{a & b} < \\alpha \\le \\mathbb{R}$"))
    (math,) = select(root, "math")
    assert select(root, "mtext")[0].children == ["a\xa0&\xa0b"]
    assert [o.children[0] for o in select(math, "mo")] == ["<", "≤"]
    assert "α" in select(math, "mi")[0].children[0]


def test_malformed_math_shows_its_source():
    root = parse(render_markdown("So $\\frac{$ here"))
    assert select(root, "math") == []
    assert select(root, "code")[0].children == ["\\frac{"]


def test_code_is_highlighted_with_classes_only():
    root = parse(render_markdown("```python\ndef f(x):\n    return 'hi'  # c\n```"))
    (pre,) = select(root, "pre.highlight")
    spans = select(pre, "span")
    assert {"k", "nf", "s1", "c1"} <= {c for s in spans for c in s.classes}
    assert all("style" not in n.attrs for n in root.walk())
    assert "".join(t for n in [pre] for t in _texts(n)) == "def f(x):\n    return 'hi'  # c\n"


def _texts(node: Node):
    for child in node.children:
        if isinstance(child, str):
            yield child
        else:
            yield from _texts(child)


def test_unknown_or_missing_language_is_plain_code():
    for source in ("```\nplain <b>\n```", "```notalanguage\nplain <b>\n```"):
        root = parse(render_markdown(source))
        (pre,) = select(root, "pre")
        assert select(pre, "span") == [] and "".join(_texts(pre)) == "plain <b>\n"


def test_shipped_highlight_stylesheet_matches_pygments():
    assert (ROOT / "static/css/highlight.css").read_text() == highlight_css()


XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "<iframe src=https://evil.example></iframe>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '[a](https://ok.example "t" onmouseover=alert(1))',
    '<a href="javascript:alert(1)">x</a>',
    "```html\n<script>alert(1)</script>\n```",
    '```"><script>alert(1)</script>\nx\n```',
    "```python\n</code></pre><script>alert(1)</script>\n```",
    "$\\href{javascript:alert(1)}{x}$",
    "$\\style{background:url(javascript:alert(1))}{x}$",
    "$\\text{<img src=x onerror=alert(1)>}$",
    "\\(\\mathrm{</math><script>alert(1)</script>}\\)",
    "$\\color{white}{hidden}$",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    "| <script>alert(1)</script> | x |\n|---|---|\n| <img src=x onerror=alert(1)> | y |",
]
URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction"}


def assert_inert(html: str) -> None:
    root = parse(html)
    for node in root.walk():
        assert node.tag in ALLOWED_TAGS, (node.tag, html)
        for name, value in node.attrs.items():
            assert not name.startswith("on") and name not in {"style", "id", "src"}, (name, html)
            if name == "class":
                assert node.classes <= ALLOWED_CLASSES.get(node.tag, set()), (node.classes, html)
            else:
                assert name in ALLOWED_ATTRIBUTES.get(node.tag, set()), (node.tag, name, html)
            if name in URL_ATTRIBUTES:
                assert re.match(r"(https?|mailto):", value), (value, html)
        if node.tag == "a":
            assert node.attrs.get("rel") == "noopener noreferrer nofollow" or "href" not in node.attrs


@pytest.mark.parametrize("source", XSS)
def test_xss_stays_inert(source):
    html = render_markdown(source)
    assert_inert(html)
    root = parse(html)
    assert not any(n.tag in {"script", "style", "img", "svg", "iframe"} for n in root.walk())
    assert not any("mathcolor" in n.attrs or ("href" in n.attrs and n.tag != "a") for n in root.walk())


@pytest.mark.parametrize(
    "html",
    [
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        '<math href="javascript:alert(1)"><mi>x</mi></math>',
        "<math><annotation-xml encoding='text/html'><img src=x onerror=alert(1)></annotation-xml></math>",
        '<pre class="highlight primary"><span class="k button">x</span></pre>',
        '<div class="math-block danger" style="position:fixed">x</div>',
        '<td class="align-left" onclick="x()">x</td>',
    ],
)
def test_the_allow_list_cleans_hostile_html_itself(html):
    """Defence in depth: what the parser never emits is still cleaned (mXSS classics, foreign classes)."""
    assert_inert(sanitize_html(html))


def test_the_inertness_check_can_fail():
    with pytest.raises(AssertionError):
        assert_inert('<a href="javascript:alert(1)">x</a>')
    with pytest.raises(AssertionError):
        assert_inert('<span class="button">x</span>')


markdownish = st.lists(
    st.sampled_from([*"ab1 \n-*_`$\\[]()|:#>!<&\"'=x~^{}", "javascript:", "\\frac", "```py\n", "<img ", "on"]),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(markdownish)
def test_any_input_renders_within_the_allow_list(text):
    assert_inert(render_markdown(text))
