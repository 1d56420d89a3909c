"""Safe Markdown for everything a rater reads (instructions, prompts, outputs), as chat models write it.

Parsing is CommonMark with GitHub's tables and strikethrough (markdown-it-py), so a list or a table
may follow a line of text without a blank line, nested lists follow the item's own indentation, and a
single newline is a line break (as chat interfaces show poems and "**Step 1:** … / **Step 2:** …").
On top of that:

- fenced code is highlighted on the server by Pygments (CSS classes only, styled by
  static/css/highlight.css — no inline styles, nothing to download in the browser);
- math is converted on the server to MathML by latex2mathml: `$…$` and `\\(…\\)` inline, `$$…$$` and
  `\\[…\\]` displayed. Dollars follow Pandoc's rule (no space just inside the dollars, no digit right
  after the closing one), so "$5 and $10" stays currency;
- GitHub task items (`- [ ] todo`, `- [x] done`) show as ☐ / ☑, table column alignment becomes a class.

Safety is two layers. Raw HTML in the source is never interpreted (markdown-it's `html` option is off:
`<b>` shows as `<b>`), and the result goes through nh3 with a strict allow-list: no scripts, styles,
images, iframes, forms, event handlers, ids or `style` attributes; classes only from fixed lists
(Pygments token classes on `span`, `highlight` on `pre`, `math-block` on `div`, `align-*` on table
cells); MathML elements with presentational attributes only (no `href`, no colours); links only to
http(s)/mailto and always `rel="noopener noreferrer nofollow"`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import Any
from xml.etree.ElementTree import tostring

import nh3
from latex2mathml.converter import convert_to_element
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.dollarmath.index import math_inline_dollar
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

MATHML_TAGS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac",
    "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded",
    "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none",
}  # fmt: skip
# Presentational MathML attributes. Left out on purpose: href, style, class, id, mathcolor, mathbackground.
MATHML_ATTRIBUTES = {
    "display", "mathvariant", "mathsize", "displaystyle", "scriptlevel", "stretchy", "fence", "separator",
    "form", "lspace", "rspace", "minsize", "maxsize", "largeop", "movablelimits", "symmetric", "accent",
    "accentunder", "linethickness", "width", "height", "depth", "voffset", "linebreak", "notation",
    "columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame",
    "columnspan", "rowspan",
}  # fmt: skip
ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del", "s", "sup", "sub",
    "code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    "span", "div",
} | MATHML_TAGS  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "ol": {"start"},
    **{tag: MATHML_ATTRIBUTES for tag in MATHML_TAGS},
}
PYGMENTS_CLASSES = frozenset(name for name in STANDARD_TYPES.values() if name)
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
ALLOWED_CLASSES = {
    "span": set(PYGMENTS_CLASSES),
    "pre": {"highlight"},
    "div": {"math-block"},
    "th": ALIGN_CLASSES,
    "td": ALIGN_CLASSES,
}
URL_SCHEMES = {"http", "https", "mailto"}

HIGHLIGHT_STYLE = "default"  # Pygments style behind static/css/highlight.css
MAX_HIGHLIGHT_CHARS = 50_000  # longer code blocks are shown plain: highlighting cost grows with the block
MAX_MATH_CHARS = 5_000  # longer formulas are shown as their source


@lru_cache(maxsize=256)
def _lexer(name: str) -> Lexer | None:
    """A reusable lexer per fence language (Pygments' lookup scans every lexer's aliases: cache it)."""
    if not name:
        return None
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


_FORMATTER = HtmlFormatter(nowrap=True)  # building one computes the style's class table: build it once


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """markdown-it's highlight hook: Pygments spans in `<pre class="highlight">`, or "" for the default."""
    lexer = _lexer(lang.strip().lower()[:64])
    if lexer is None or len(code) > MAX_HIGHLIGHT_CHARS:
        return ""  # markdown-it then escapes the code itself
    body = pygments_highlight(code, lexer, _FORMATTER)
    return f'<pre class="highlight"><code>{body}</code></pre>'


def highlight_css() -> str:
    """The stylesheet for highlighted code, as shipped in static/css/highlight.css.

    Output: CSS text for Pygments' token classes under `.md .highlight`, from the `HIGHLIGHT_STYLE`
    style. A test keeps the shipped file equal to this, so a Pygments upgrade that renames classes
    fails loudly instead of losing colours.
    """
    formatter = HtmlFormatter(style=HIGHLIGHT_STYLE)
    rules = formatter.get_background_style_defs(".md .highlight") + formatter.get_token_style_defs(".md .highlight")
    header = (
        f"/* Generated by tasks.lib.markdown.highlight_css() from Pygments' {HIGHLIGHT_STYLE!r} style: do not edit. */"
    )
    return "\n".join([header, *rules]) + "\n"


# latex2mathml stores symbols as literal "&#x…;" text; serialising escapes them to "&amp;#x…;".
_ESCAPED_CHAR_REFERENCE = re.compile(r"&amp;(#x[0-9A-Fa-f]{1,6};)")


def _mathml(tex: str, *, display: bool) -> str:
    """LaTeX to a MathML `<math>` element; malformed or oversized LaTeX is shown as its source.

    Serialised here rather than by latex2mathml's `convert`, which un-escapes the whole document and so
    passes `\\text{<b>}` through as markup: here text stays text and only its symbol references revert.
    """
    source = tex.strip()
    if source and len(source) <= MAX_MATH_CHARS:
        try:
            element = convert_to_element(source, display="block" if display else "inline")
        except Exception:  # latex2mathml raises a dozen unrelated types (and IndexError) on malformed input
            element = None
        if element is not None:
            return _ESCAPED_CHAR_REFERENCE.sub(r"&\1", tostring(element, encoding="unicode"))
    return f"<code>{escape(tex)}</code>"


def _render_math(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    if token.type == "math_block":
        return f'<div class="math-block">{_mathml(token.content, display=True)}</div>\n'
    return _mathml(token.content, display=token.type == "math_inline_double")


_BLOCK_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"))


def _math_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Block rule: `$$…$$` or `\\[…\\]` starting a line, closed at the end of that or a later line.

    Unlike dollarmath's own block rule it may interrupt a paragraph ("The area is:\\n$$…$$") and
    honours `silent` (markdown-it asks terminator rules without wanting tokens).
    """
    if state.is_code_block(start_line):
        return False
    begin = state.bMarks[start_line] + state.tShift[start_line]
    first = state.src[begin : state.eMarks[start_line]]
    delimiters = next(((o, c) for o, c in _BLOCK_DELIMITERS if first.startswith(o)), None)
    if delimiters is None:
        return False
    opener, closer = delimiters
    rest = first[len(opener) :].rstrip()
    line = start_line
    if closer in rest:
        if rest.find(closer) != len(rest) - len(closer):
            return False  # "$$a$$ and $$b$$" is inline math in a paragraph
        parts = [rest[: -len(closer)]]
    else:
        parts = [rest]
        while True:
            line += 1
            if line >= end_line:
                return False
            text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].rstrip()
            if not text:
                return False  # TeX does not allow a blank line in a formula; neither do we
            if text.endswith(closer):
                parts.append(text[: -len(closer)])
                break
            if closer in text:
                return False
            parts.append(text)
    content = "\n".join(parts)
    if not content.strip():
        return False
    if silent:
        return True
    token = state.push("math_block", "math", 0)
    token.block = True
    token.content = content
    token.markup = opener
    token.map = [start_line, line + 1]
    state.line = line + 1
    return True


def _math_inline_brackets(state: StateInline, silent: bool) -> bool:
    """Inline rule: `\\(…\\)` inline math and `\\[…\\]` displayed math inside a paragraph.

    Runs before markdown-it's escape rule, which would otherwise read `\\(` as an escaped "(".
    """
    src, pos = state.src, state.pos
    if src[pos] != "\\" or pos + 1 >= state.posMax or src[pos + 1] not in "([":
        return False
    display = src[pos + 1] == "["
    closer = "\\]" if display else "\\)"
    end = src.find(closer, pos + 2, state.posMax)
    if end < 0 or not src[pos + 2 : end].strip():
        return False
    if not silent:
        token = state.push("math_inline_double" if display else "math_inline", "math", 0)
        token.content = src[pos + 2 : end]
        token.markup = src[pos : pos + 2]
    state.pos = end + 2
    return True


_dollar_inline = math_inline_dollar(allow_space=False, allow_digits=False, allow_double=True)


def _math_inline_dollars(state: StateInline, silent: bool) -> bool:
    """Inline rule: `$…$` inline and `$$…$$` displayed, by dollarmath's rule (Pandoc's conditions).

    One more condition than Pandoc: no ASCII letter or digit right after the closing dollar, so shell
    text like `$HOME/$PATH` stays text (CJK text right after a formula, as in "设$x$为", is fine).
    """
    start = state.pos
    if not _dollar_inline(state, True):
        return False
    after = state.src[state.pos] if state.pos < state.posMax else ""
    state.pos = start
    if after.isascii() and after.isalnum():
        return False
    return _dollar_inline(state, silent)


_DELIMITER_ROW = re.compile(r"^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?$")


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].strip()


def _cells(row: str) -> int:
    return len(row.strip().removeprefix("|").removesuffix("|").split("|"))


def _table_starts_lazily(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Paragraph terminator: a table header and delimiter row end a paragraph even when less indented.

    Models write "2. Step two:" and a table on the next line; CommonMark reads the table as lazy text
    of the list item (the table rule wants the item's indentation). Ending the paragraph here closes
    the list, and the table rule then reads the table. Only ever asked in silent mode; parses nothing.
    """
    if not silent or start_line + 1 >= end_line or state.sCount[start_line] >= state.blkIndent:
        return False
    header, delimiter = _line(state, start_line), _line(state, start_line + 1)
    return "|" in header and bool(_DELIMITER_ROW.match(delimiter)) and _cells(header) == _cells(delimiter)


def _pipeless_line_ends_table(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Table terminator: a line with no `|` is text after the table, not one more (one-cell) row.

    GFM would take "In short, …" written straight under a table as a row; models mean a paragraph.
    markdown-it's table asks the blockquote terminators, with `parentType` "table" while it reads rows;
    for a blockquote's own lazy lines this says nothing. Only ever asked in silent mode; parses nothing.
    """
    return silent and state.parentType == "table" and "|" not in _line(state, start_line)


_TASK_MARKERS = {"[ ] ": "☐ ", "[x] ": "☑ ", "[X] ": "☑ "}


def _tidy(state: StateCore) -> None:
    """Core rule after inline parsing: table alignment as classes, GitHub task items as ☐ / ☑."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type in ("th_open", "td_open"):
            style = str(token.attrs.pop("style", ""))
            if style.startswith("text-align:"):
                token.attrs["class"] = "align-" + style.removeprefix("text-align:")
        elif (
            token.type == "inline"
            and i >= 2
            and tokens[i - 1].type == "paragraph_open"
            and tokens[i - 2].type == "list_item_open"
            and token.children
            and token.children[0].type == "text"
        ):
            first = token.children[0]
            marker = first.content[:4]
            if marker in _TASK_MARKERS:
                first.content = _TASK_MARKERS[marker] + first.content[4:]


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """Markdown images are never loaded (they would call out to other hosts): a link with the alt text."""
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env) or str(token.attrs.get("src", ""))
    return f'<a href="{escape(str(token.attrs.get("src", "")))}">{escape(alt)}</a>'


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    md.block.ruler.before(
        "fence", "math_display", _math_block, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    md.block.ruler.before("table", "table_lazy_start", _table_starts_lazily, {"alt": ["paragraph"]})
    md.block.ruler.before("table", "table_pipeless_end", _pipeless_line_ends_table, {"alt": ["blockquote"]})
    md.inline.ruler.before("escape", "math_dollars", _math_inline_dollars)
    md.inline.ruler.before("escape", "math_brackets", _math_inline_brackets)
    md.core.ruler.push("evalsite_tidy", _tidy)
    for name in ("math_inline", "math_inline_double", "math_block"):
        md.add_render_rule(name, _render_math)
    md.add_render_rule("image", _render_image)
    return md


_MD = _parser()


def sanitize_html(html: str) -> str:
    """The allow-list every rendered page fragment passes through.

    Input: HTML (from `render_markdown`'s parser). Output: the same HTML with every tag, attribute,
    class and URL scheme outside the module's allow-lists removed (tag contents kept as text; script
    and style contents dropped), comments stripped, links given `rel="noopener noreferrer nofollow"`.
    """
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Markdown as chat models write it to sanitized HTML; safe to mark as safe in templates.

    Input: Markdown source (any string; raw HTML in it is shown as text). Output: an HTML fragment —
    CommonMark + GFM tables/strikethrough, single newlines as `<br>`, Pygments-highlighted fenced code,
    MathML for `$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]` — passed through `sanitize_html`. "" for empty input.
    Conventions follow CommonMark 0.31 and GitHub Flavored Markdown for tables; dollar math follows
    Pandoc's `tex_math_dollars` rule so prices stay text.
    """
    if not text:
        return ""
    return sanitize_html(_MD.render(text))
