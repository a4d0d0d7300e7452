"""Tests for cms.markup: Markdown features, sanitizing, excerpts, comments, French typography."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape
from pygments.token import STANDARD_TYPES

from cms.markup import (
    MORE_MARKER,
    RenderedPost,
    as_markup,
    french_typography,
    plain_text,
    render_comment,
    render_post,
    sanitize_html,
    typeset_text,
    word_count,
)
from tests.support import XSS_PAYLOADS

NBSP = "\u00a0"
NNBSP = "\u202f"
COMMENT_REL = "nofollow ugc noopener noreferrer"

# --- Helpers -------------------------------------------------------------------------------------

PAYLOADS_FILE = XSS_PAYLOADS


def load_payloads() -> list[str]:
    text = PAYLOADS_FILE.read_text(encoding="utf-8")
    return [line for line in text.split("\n") if line and not line.startswith("#")]


PAYLOADS = load_payloads()

VOID_TAGS = {"br", "hr", "img", "wbr", "area", "base", "col", "embed", "input", "link", "meta"}
POST_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
    "a", "abbr", "q", "cite", "blockquote", "code", "pre", "kbd", "samp", "var",
    "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
    "caption", "img", "figure", "figcaption", "span", "div", "details", "summary",
}  # fmt: skip
POST_ATTRIBUTES = {
    "a": {"href", "title", "id", "class", "rel"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
    "li": {"id", "class"},
    "sup": {"id", "class"},
    "div": {"id", "class"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "ol": {"start", "reversed", "class"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "abbr": {"title"},
    "details": {"open"},
}
COMMENT_TAGS = {"p", "br", "em", "strong", "code", "blockquote", "a", "pre"}
COMMENT_ATTRIBUTES = {"a": {"href", "rel"}}
FORBIDDEN_SUBSTRINGS = (
    "<script",
    "<iframe",
    "<svg",
    "<math",
    "<object",
    "<embed",
    "<style",
    "<form",
)
FORBIDDEN_SCHEMES = ("javascript:", "vbscript:", "data:")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        """Every element under this one (itself included), optionally only those named tag."""
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter(tag)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class TreeBuilder(HTMLParser):
    """Parse HTML into Nodes, failing on anything a well-formed fragment would not contain."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack = [self.root]
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        if len(node.attrs) != len(attrs):
            self.problems.append(f"duplicate attribute on <{tag}>")
        self.stack[-1].children.append(node)
        if tag not in VOID_TAGS:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        if len(self.stack) == 1 or self.stack[-1].tag != tag:
            self.problems.append(f"unbalanced </{tag}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment <!--{data}-->")


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert not builder.problems, builder.problems
    assert len(builder.stack) == 1, f"unclosed <{builder.stack[-1].tag}>"
    return builder.root


def normalized_url(value: str) -> str:
    """A URL as a browser would see its scheme: no whitespace or control characters, lowercase."""
    return "".join(
        ch for ch in value if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf")
    ).lower()


def assert_safe(html: str, allowed_tags: set[str], allowed_attributes: dict[str, set[str]]) -> Node:
    """Assert that html holds nothing able to run script; return its parse tree."""
    lowered = html.lower()
    for forbidden in FORBIDDEN_SUBSTRINGS:
        assert forbidden not in lowered, (forbidden, html)
    tree = parse(html)
    for node in tree.iter():
        if node is tree:
            continue
        assert node.tag in allowed_tags, (node.tag, html)
        for name, value in node.attrs.items():
            assert not name.startswith("on"), (name, html)
            assert name in allowed_attributes.get(node.tag, set()), (node.tag, name, html)
            if name in ("href", "src"):
                assert not normalized_url(value or "").startswith(FORBIDDEN_SCHEMES), html
    return tree


def assert_safe_post(html: str) -> Node:
    return assert_safe(html, POST_TAGS, POST_ATTRIBUTES)


def assert_safe_comment(html: str) -> Node:
    tree = assert_safe(html, COMMENT_TAGS, COMMENT_ATTRIBUTES)
    for link in tree.iter("a"):
        assert link.attrs.get("rel") == COMMENT_REL, html
        href = link.attrs.get("href")
        assert href is None or href.startswith(("http://", "https://", "mailto:")), html
    return tree


def body(source: str, language: str = "en") -> str:
    return render_post(source, language).body_html


# --- The payload corpus --------------------------------------------------------------------------


def test_payload_corpus_is_large_and_printable() -> None:
    assert len(PAYLOADS) >= 220
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    assert not any("\x00" in payload for payload in PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_post_pipeline_neutralizes_payload(payload: str) -> None:
    for language in ("en", "fr"):
        post = render_post(payload, language)
        assert_safe_post(post.body_html)
        assert_safe_post(post.excerpt_html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_comment_pipeline_neutralizes_payload(payload: str) -> None:
    for language in ("en", "fr"):
        assert_safe_comment(render_comment(payload, language))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sanitize_html_neutralizes_payload(payload: str) -> None:
    for language in ("en", "fr"):
        assert_safe_post(sanitize_html(payload, language))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("<p onclick=alert(1)>click</p>", "<p>click</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="jav&#x09;ascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ("<img src=x onerror=alert(1)>", '<img src="x">'),
        ('<div style="x:expression(alert(1))">x</div>', "<div>x</div>"),
        ("<script>alert(1)</script>safe", "safe"),
        ("<style>@import 'x.css';</style>safe", "safe"),
        ("<iframe src=javascript:alert(1)></iframe>safe", "safe"),
    ],
)
def test_sanitize_html_keeps_harmless_content(payload: str, expected: str) -> None:
    assert sanitize_html(payload, "en") == expected


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](javascript&#58;alert(1))",
        "[x]( javascript:alert(1))",
        "[x][1]\n\n[1]: javascript:alert(1)",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox(1))",
    ],
)
def test_markdown_links_with_script_urls_lose_their_href(source: str) -> None:
    for html in (body(source), render_comment(source, "en")):
        links = list(parse(html).iter("a"))
        assert [link.text() for link in links] == ["x"]
        assert "href" not in links[0].attrs


def test_markdown_image_title_cannot_break_out_of_the_attribute() -> None:
    tree = assert_safe_post(body('![x](https://x.example/x.png "t" onerror="alert(1)")'))
    for image in tree.iter("img"):
        assert set(image.attrs) <= {"src", "alt", "title"}


# --- Property tests ------------------------------------------------------------------------------

MARKUP_PIECES = st.sampled_from(
    [
        "<", ">", "</", "/>", '"', "'", "`", "=", "&", "&#", ";", "&amp;", "&lt;", "&nbsp;",
        "\n", "\n\n", "    ", "> ", "# ", "- ", "1. ", "*", "**", "_", "[", "]", "(", ")",
        "![", "](", "[^1]", "[^1]: ", "```", "`", "|", "---", "<!--more-->", "<!--", "-->",
        "javascript:", "JaVaScRiPt:", "data:", "vbscript:", "http://", "https://", "www.",
        "<script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "<a href=",
        " onmouseover=", "<math>", "<style>", "<![CDATA[", "\x00", "\r", "\t",
        "«", "»", "?", "!", ":", " :", " ?", NBSP, NNBSP, "é",
        "\U0001d518", "\u200b", "\u202e", "\ufeff",
    ]
)  # fmt: skip
HOSTILE_TEXT = st.lists(st.one_of(MARKUP_PIECES, st.text(max_size=8)), max_size=60).map("".join)
PROPERTY_SETTINGS = settings(
    database=None,  # keep the repository free of a .hypothesis directory
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY_SETTINGS
@given(source=st.one_of(st.text(), HOSTILE_TEXT), language=st.sampled_from(["en", "fr"]))
def test_render_post_is_always_safe(source: str, language: str) -> None:
    post = render_post(source, language)
    assert_safe_post(post.body_html)
    assert_safe_post(post.excerpt_html)
    assert len(post.summary) <= 160
    assert MORE_MARKER not in post.body_html


@PROPERTY_SETTINGS
@given(source=st.one_of(st.text(), HOSTILE_TEXT), language=st.sampled_from(["en", "fr"]))
def test_render_comment_is_always_safe(source: str, language: str) -> None:
    assert_safe_comment(render_comment(source, language))


@PROPERTY_SETTINGS
@given(source=st.one_of(st.text(), HOSTILE_TEXT))
def test_sanitize_html_is_always_safe(source: str) -> None:
    assert_safe_post(sanitize_html(source, "fr"))


@PROPERTY_SETTINGS
@given(source=st.one_of(st.text(), HOSTILE_TEXT))
def test_french_typography_is_idempotent_and_only_changes_spaces(source: str) -> None:
    once = french_typography(source)
    assert french_typography(once) == once

    # Only spaces and apostrophes change: without them, the text reads the same.
    def letters(html: str) -> str:
        return re.sub(r"\s", "", unescape(html)).replace("’", "'")

    assert letters(once) == letters(source)


# --- Posts: Markdown features --------------------------------------------------------------------


def test_headings_get_accent_folded_unique_ids() -> None:
    tree = parse(body("# Été à Montréal\n\n## Été à Montréal\n\n### L'été du cœur"))
    ids = [node.attrs["id"] for node in tree.iter() if node.tag in {"h1", "h2", "h3"}]
    assert ids == ["ete-a-montreal", "ete-a-montreal_1", "l-ete-du-coeur"]


def test_heading_without_latin_letters_still_gets_an_id() -> None:
    tree = parse(body("# 東京\n\n# ???"))
    ids = [node.attrs.get("id") for node in tree.iter("h1")]
    assert all(ids)
    assert len(set(ids)) == 2


def test_table_of_contents_links_to_heading_ids() -> None:
    tree = parse(body("[TOC]\n\n# Été\n\n## Hiver"))
    assert [a.attrs["href"] for a in tree.iter("a")] == ["#ete", "#hiver"]


def test_nested_lists_render() -> None:
    tree = parse(body("1. one\n    - nested a\n    - nested b\n2. two"))
    (ordered,) = tree.iter("ol")
    first_item = next(ordered.iter("li"))
    assert [li.text() for li in next(first_item.iter("ul")).iter("li")] == [
        "nested a",
        "nested b",
    ]


def test_ordered_list_keeps_its_start_number() -> None:
    (ordered,) = parse(body("3. three\n4. four")).iter("ol")
    assert ordered.attrs["start"] == "3"


def test_tables_render_with_alignment_but_no_style() -> None:
    html = body("| Left | Right |\n|:-----|------:|\n| a | b |")
    tree = parse(html)
    assert [th.attrs.get("align") for th in tree.iter("th")] == ["left", "right"]
    assert [td.text() for td in tree.iter("td")] == ["a", "b"]
    assert "style" not in html


def test_footnotes_render_with_ids_and_links() -> None:
    tree = parse(body("Text[^note].\n\n[^note]: The note."))
    (reference,) = tree.iter("sup")
    assert reference.attrs["id"] == "fnref:note"
    (ref_link,) = reference.iter("a")
    assert ref_link.attrs["class"] == "footnote-ref"
    assert ref_link.attrs["href"] == "#fn:note"
    (notes,) = (div for div in tree.iter("div") if div.attrs.get("class") == "footnote")
    (item,) = notes.iter("li")
    assert item.attrs["id"] == "fn:note"
    assert "The note." in item.text()


def test_footnote_backlink_title_follows_the_language() -> None:
    source = "Text[^1].\n\n[^1]: Note."
    assert "Jump back to footnote 1" in body(source, "en")
    assert "Revenir à l\u2019appel de note 1" in body(source, "fr")


def test_each_text_renders_as_if_it_were_the_first() -> None:
    # Converters are reused between texts: nothing of one text may leak into the next.
    post = "## Part\n\nText[^1].\n\n[^1]: Note."
    first = body(post)
    body("## Part\n\n## Part\n\nOther[^1][^2].\n\n[^1]: A.\n\n[^2]: B.")
    assert body(post) == first
    assert 'id="part"' in first and "part_1" not in first
    comment = "*Bravo* www.example.org"
    assert render_comment(comment, "en") == render_comment(comment, "en")
    assert "<em>" not in render_comment("plain words", "en")


def test_fenced_code_is_highlighted_with_classes_not_styles() -> None:
    html = body("```python\ndef f(x):\n    return x\n```")
    tree = parse(html)
    (block,) = (div for div in tree.iter("div") if div.attrs.get("class") == "codehilite")
    assert next(block.iter("pre")).text().startswith("def f(x):")
    keywords = [span.text() for span in block.iter("span") if span.attrs.get("class") == "k"]
    assert keywords == ["def", "return"]
    assert "style=" not in html


def test_every_pygments_token_class_survives_the_allow_list() -> None:
    classes = sorted({name for name in STANDARD_TYPES.values() if name} | {"g-Underline"})
    html = "".join(f'<span class="{name}">x</span>' for name in classes)
    assert sanitize_html(html, "en") == html


def test_fenced_code_without_language_is_not_guessed() -> None:
    tree = parse(body("```\ndef f(x):\n    return x\n```"))
    assert not [span for span in tree.iter("span") if span.attrs.get("class")]


def test_blockquote_emphasis_and_links_render() -> None:
    tree = parse(body('> *em* and **strong** and [a link](https://example.com/ "Title")'))
    (quote,) = tree.iter("blockquote")
    assert next(quote.iter("em")).text() == "em"
    assert next(quote.iter("strong")).text() == "strong"
    (link,) = quote.iter("a")
    assert link.attrs["href"] == "https://example.com/"
    assert link.attrs["title"] == "Title"


def test_images_keep_relative_and_http_sources() -> None:
    tree = parse(body('![A cat](/media/cat.png "Cat") ![Remote](https://x.example/r.jpg)'))
    sources = [(img.attrs["src"], img.attrs["alt"]) for img in tree.iter("img")]
    assert sources == [("/media/cat.png", "A cat"), ("https://x.example/r.jpg", "Remote")]


def test_author_html_is_filtered_to_the_allow_list() -> None:
    html = body(
        '<details open><summary>More</summary><p class="lead">Hidden <kbd>Ctrl</kbd></p></details>'
        '\n\n<img src="/m.png" alt="m" loading="lazy" width="100%" height="20">'
        '\n\n<div class="codehilite evil" style="color:red"><span class="k evil">x</span></div>'
    )
    tree = parse(html)
    assert next(tree.iter("details")).attrs == {"open": ""}
    assert next(tree.iter("p")).attrs == {}
    assert next(tree.iter("kbd")).text() == "Ctrl"
    assert next(tree.iter("img")).attrs == {
        "src": "/m.png",
        "alt": "m",
        "loading": "lazy",
        "height": "20",
    }
    assert next(tree.iter("div")).attrs == {"class": "codehilite"}
    assert next(tree.iter("span")).attrs == {"class": "k"}


def test_rendering_is_deterministic_and_independent_of_earlier_posts() -> None:
    source = "# Titre\n\nTexte[^1] ?\n\n```python\nx = 1\n```\n\n[^1]: Note."
    first = render_post(source, "fr")
    render_post("# Titre\n\nOther[^1]\n\n[^1]: Other note.", "fr")
    assert render_post(source, "fr") == first
    assert 'id="fn:1"' in first.body_html


# --- Posts: excerpt, summary, has_more -----------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "First part.\n\n<!--more-->\n\nSecond part.",
        "First part.\n<!--more-->\nSecond part.",
        "First part. <!--more-->\n\nSecond part.",
    ],
)
def test_more_marker_splits_the_excerpt(source: str) -> None:
    post = render_post(source, "en")
    assert post.excerpt_html == "<p>First part.</p>"
    assert post.summary == "First part."
    assert post.has_more
    assert "more" not in post.body_html
    assert plain_text(post.body_html) == "First part. Second part."


def test_more_marker_excerpt_can_hold_several_blocks_and_later_references() -> None:
    post = render_post("Intro [link][1].\n\n- a\n- b\n\n<!--more-->\n\nRest.\n\n[1]: /about", "en")
    tree = parse(post.excerpt_html)
    assert [a.attrs["href"] for a in tree.iter("a")] == ["/about"]
    assert [li.text() for li in tree.iter("li")] == ["a", "b"]
    assert "Rest" not in post.excerpt_html


def test_more_marker_inside_code_is_not_a_marker() -> None:
    post = render_post("Intro.\n\n```\n<!--more-->\n```\n\nRest.", "en")
    assert post.excerpt_html == "<p>Intro.</p>"
    assert "&lt;!--more--&gt;" in post.body_html


def test_more_marker_with_nothing_after_it_means_no_more() -> None:
    post = render_post("Only part.\n\n<!--more-->\n", "en")
    assert post.excerpt_html == "<p>Only part.</p>"
    assert not post.has_more


def test_more_marker_with_nothing_before_it_falls_back_to_the_first_paragraph() -> None:
    post = render_post("<!--more-->\n\nFirst.\n\nSecond.", "en")
    assert post.excerpt_html == "<p>First.</p>"
    assert post.has_more


def test_excerpt_without_marker_is_the_first_paragraph() -> None:
    post = render_post("# Title\n\nFirst *paragraph*.\n\nSecond paragraph.", "en")
    assert post.excerpt_html == "<p>First <em>paragraph</em>.</p>"
    assert post.summary == "First paragraph."
    assert post.has_more


def test_single_paragraph_post_has_no_more() -> None:
    post = render_post("Just this.", "en")
    assert post.excerpt_html == "<p>Just this.</p>"
    assert post.body_html == "<p>Just this.</p>"
    assert not post.has_more


def test_post_without_paragraph_uses_its_first_block() -> None:
    post = render_post("- one\n- two", "en")
    assert post.excerpt_html == post.body_html
    assert not post.has_more


def test_excerpt_has_no_ids_and_no_footnote_references() -> None:
    post = render_post("Intro[^1] text.\n\n## Part\n\n[^1]: Note.", "en")
    assert post.excerpt_html == "<p>Intro text.</p>"
    marked = render_post("## Part\n\nIntro[^1].\n\n<!--more-->\n\nRest.\n\n[^1]: Note.", "en")
    assert "id=" not in marked.excerpt_html
    assert "fnref" not in marked.excerpt_html
    assert marked.summary == "Part Intro."


@pytest.mark.parametrize("source", ["", "   \n\n  ", "<!--more-->", "<script>x</script>"])
def test_empty_body_gives_empty_fields(source: str) -> None:
    assert render_post(source, "en") == RenderedPost("", "", "", False)


def test_summary_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    words = " ".join(f"word{index}" for index in range(60))
    summary = render_post(words, "en").summary
    assert len(summary) <= 160
    assert summary.endswith("\u2026")
    kept = summary[:-1]
    assert words.startswith(kept)
    assert words[len(kept)] == " "
    assert len(kept) > 140


def test_summary_of_a_short_excerpt_is_not_cut() -> None:
    text = "x" * 150 + " fin."
    assert render_post(text, "en").summary == text


def test_summary_is_plain_text_with_entities_decoded() -> None:
    summary = render_post("Tom &amp; *Jerry* <b>say</b>   `a < b`\nhello", "en").summary
    assert summary == "Tom & Jerry say a < b hello"


def test_summary_keeps_french_no_break_spaces() -> None:
    assert render_post("Une illusion ?", "fr").summary == f"Une illusion{NNBSP}?"


# --- Comments ------------------------------------------------------------------------------------


def test_comment_images_become_their_alt_text() -> None:
    html = render_comment("Look: ![a cat](https://x.example/cat.png) here", "en")
    assert "<img" not in html
    assert html == "<p>Look: a cat here</p>"


def test_comment_headings_rules_and_lists_stay_plain_lines() -> None:
    html = render_comment("# Title\n---\n- item", "en")
    assert html == "<p># Title<br>\n---<br>\n- item</p>"


def test_comment_raw_html_is_shown_escaped() -> None:
    html = render_comment("<b>hi</b> <script>alert(1)</script>", "en")
    assert html == "<p>&lt;b&gt;hi&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_comment_keeps_paragraphs_breaks_emphasis_code_and_quotes() -> None:
    html = render_comment("> quoted\n\n*em* **strong** `co <de>`\nnext line", "en")
    assert html == (
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n"
        "<p><em>em</em> <strong>strong</strong> <code>co &lt;de&gt;</code><br>\nnext line</p>"
    )


def test_comment_has_no_tables_and_no_highlighted_code() -> None:
    tree = assert_safe_comment(
        render_comment("| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```", "en")
    )
    assert not list(tree.iter("table"))
    assert all(not node.attrs for node in tree.iter() if node.tag != "a")


def test_comment_markdown_links_get_rel_and_keep_absolute_urls_only() -> None:
    html = render_comment("[site](https://example.com/) [local](/admin) [mail](mailto:a@b.c)", "en")
    links = list(assert_safe_comment(html).iter("a"))
    assert [link.attrs.get("href") for link in links] == [
        "https://example.com/",
        None,
        "mailto:a@b.c",
    ]


@pytest.mark.parametrize("punctuation", [".", ",", ")", "»", "!", "?", ";", ":", "\u2026", "'"])
def test_comment_autolink_leaves_trailing_punctuation_out(punctuation: str) -> None:
    html = render_comment(f"see https://example.com/page{punctuation} next", "en")
    assert html == (
        f'<p>see <a href="https://example.com/page" rel="{COMMENT_REL}">'
        f"https://example.com/page</a>{punctuation} next</p>"
    )


def test_comment_autolink_keeps_balanced_parentheses_and_handles_www() -> None:
    html = render_comment(
        "(voir https://fr.wikipedia.org/wiki/Paris_(ville)) et www.example.org.", "en"
    )
    assert html == (
        f'<p>(voir <a href="https://fr.wikipedia.org/wiki/Paris_(ville)" rel="{COMMENT_REL}">'
        "https://fr.wikipedia.org/wiki/Paris_(ville)</a>) et "
        f'<a href="https://www.example.org" rel="{COMMENT_REL}">www.example.org</a>.</p>'
    )


def test_comment_autolink_ignores_code_and_existing_links() -> None:
    html = render_comment(
        "`https://in.code` [text](https://explicit.example) <https://auto.example>", "en"
    )
    tree = parse(html)
    assert [a.attrs["href"] for a in tree.iter("a")] == [
        "https://explicit.example",
        "https://auto.example",
    ]
    assert next(tree.iter("code")).text() == "https://in.code"


def test_comment_autolink_needs_a_host() -> None:
    assert "<a" not in render_comment("https:// and www. alone", "en")


# --- French typography ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Une illusion ?", f"Une illusion{NNBSP}?"),
        ("Vraiment !", f"Vraiment{NNBSP}!"),
        ("un ; deux", f"un{NNBSP}; deux"),
        ("Note : voir", f"Note{NBSP}: voir"),
        ("« citation »", f"«{NNBSP}citation{NNBSP}»"),
        ("«citation»", f"«{NNBSP}citation{NNBSP}»"),
        ("illusion   \t?", f"illusion{NNBSP}?"),
        (f"illusion{NBSP}?", f"illusion{NNBSP}?"),
        ("illusion&nbsp;?", f"illusion{NNBSP}?"),
        ("Tom &amp; Jerry ?", f"Tom &amp; Jerry{NNBSP}?"),
        ("&laquo;mot&raquo;", f"&laquo;{NNBSP}mot{NNBSP}&raquo;"),
        ("http://example.com", "http://example.com"),
        ("10:30", "10:30"),
        ("a?b!c;d", "a?b!c;d"),
        ("? en tête", "? en tête"),
        # Where no space was typed, the one French puts there is added.
        ("Vraiment!", f"Vraiment{NNBSP}!"),
        ("Une illusion? Oui.", f"Une illusion{NNBSP}? Oui."),
        ("un; deux", f"un{NNBSP}; deux"),
        ("Note: voir", f"Note{NBSP}: voir"),
        ("Étape 1: lire", f"Étape 1{NBSP}: lire"),
        ("Quoi?!", f"Quoi{NNBSP}?!"),
        ("«Quoi?»", f"«{NNBSP}Quoi{NNBSP}?{NNBSP}»"),
        ("(vraiment?)", f"(vraiment{NNBSP}?)"),
        ("«Oui»!", f"«{NNBSP}Oui{NNBSP}»{NNBSP}!"),
        # An address stays as written; the punctuation that ends it ends the sentence.
        ("https://example.org/a;b?c=d:e", "https://example.org/a;b?c=d:e"),
        ("voir www.example.org/?q=a!", f"voir www.example.org/?q=a{NNBSP}!"),
        ("12:30:45", "12:30:45"),
        # Apostrophes: a straight one between a letter and a letter (or what opens a quotation)
        # is the typographic apostrophe.
        ("l'été", "l’été"),
        ("Aujourd'hui, l'homme", "Aujourd’hui, l’homme"),
        ("L'« Europe »", f"L’«{NNBSP}Europe{NNBSP}»"),
        ("l'&#8220;objet&#8221;", "l’&#8220;objet&#8221;"),
        ("ce\u0301'a", "ce\u0301’a"),  # a letter with a combining accent
        ("l&#39;été et l&apos;hiver", "l’été et l’hiver"),
        ("O'Neill", "O’Neill"),
        ("5'10", "5'10"),
        ("l'1er", "l'1er"),
        ("le mot 'bonjour' ici", "le mot 'bonjour' ici"),
        ("les années 80' et '90", "les années 80' et '90"),
        ("https://example.org/l'été", "https://example.org/l'été"),
        ("mailto:o'neill@example.org", "mailto:o'neill@example.org"),
    ],
)
def test_french_typography_rules(text: str, expected: str) -> None:
    assert french_typography(f"<p>{text}</p>") == f"<p>{expected}</p>"


def test_french_apostrophes_leave_code_attributes_and_links_alone() -> None:
    html = (
        "<p><a href=\"/l'été\" title=\"l'été\">l'été</a> <code>l'été</code> "
        "l'<em>été</em> l'<code>x</code> <img src=\"/l'été.png\" alt=\"l'été\"></p>"
        "<pre><code>print('l'été')</code></pre>"
    )
    assert french_typography(html) == (
        '<p><a href="/l\'été" title="l\'été">l’été</a> <code>l\'été</code> '
        'l’<em>été</em> l’<code>x</code> <img src="/l\'été.png" alt="l’été"></p>'
        "<pre><code>print('l'été')</code></pre>"
    )


def test_french_posts_and_comments_get_typographic_apostrophes() -> None:
    source = "L'été, c'est `l'été` et [l'hiver](https://example.org/l'hiver).\n\n```\nl'été\n```"
    french = render_post(source, "fr").body_html
    assert french.startswith("<p>L’été, c’est <code>l'été</code> et ")
    assert '<a href="https://example.org/l\'hiver" rel="noopener noreferrer">l’hiver</a>' in french
    assert "l'été\n</code></pre>" in french and french.count("’") == 3
    assert "L'été, c'est" in render_post(source, "en").body_html
    comment = render_comment("C'est vu : https://example.org/l'été et `l'a`", "fr")
    assert comment.startswith(f'<p>C’est vu{NBSP}: <a href="https://example.org/l\'été"')
    assert ">https://example.org/l'été</a> et <code>l'a</code></p>" in comment
    assert render_comment("It's fine", "en") == "<p>It's fine</p>"
    assert typeset_text("L'été!", "fr") == f"L’été{NNBSP}!"


def test_french_typography_leaves_code_untouched() -> None:
    html = (
        "<p>La fonction <code>f() ?</code> ?</p>"
        "<pre><code>a : b ! « c »\n:-) ?</code></pre>"
        "<p><kbd>Ctrl :</kbd> <samp>ok !</samp></p>"
        "<style>a :hover { x: y !important }</style><script>if (a ? b : c) {}</script>"
    )
    assert french_typography(html) == html.replace(" ?</p>", f"{NNBSP}?</p>", 1)


def test_french_typography_leaves_tags_attributes_and_comments_untouched() -> None:
    html = '<a href="/search?q=a ?" title="Vraiment ?">lien</a><!-- note : x --><img src="a ?">'
    assert french_typography(html) == html


def test_an_images_alt_text_gets_french_typography_as_a_sentence_of_its_own() -> None:
    html = (
        '<p>Voir <img title="x alt=\'a !\'" alt="L&#39;été: enfin!" src="/a ?.png"> ici?</p>'
        '<p><img alt=\'« Oui »\' ALT=""> <code><img alt="l\'a ?"></code></p>'
    )
    typeset = french_typography(html)
    assert typeset == (
        f'<p>Voir <img title="x alt=\'a !\'" alt="L’été{NBSP}: enfin{NNBSP}!" src="/a ?.png">'
        f' ici{NNBSP}?</p><p><img alt=\'«{NNBSP}Oui{NNBSP}»\' ALT=""> <code><img alt="l\'a ?">'
        "</code></p>"
    )
    assert french_typography(typeset) == typeset
    source = "![L'été au jardin: enfin!](/a.png)"
    assert f'alt="L’été au jardin{NBSP}: enfin{NNBSP}!"' in render_post(source, "fr").body_html
    assert 'alt="L\'été au jardin: enfin!"' in render_post(source, "en").body_html


def test_french_typography_sees_through_inline_tags() -> None:
    html = "<p><em>illusion</em> ? et illusion <strong>!</strong> «<em>mot</em>»</p>"
    assert french_typography(html) == (
        f"<p><em>illusion</em>{NNBSP}? et illusion{NNBSP}<strong>!</strong>"
        f" «{NNBSP}<em>mot</em>{NNBSP}»</p>"
    )


def test_french_typography_stops_at_block_boundaries() -> None:
    html = "<p>fin </p>\n<p>? début</p>"
    assert french_typography(html) == html


@pytest.mark.parametrize(
    "html",
    ["<p>« Quoi ? » dit-il : «non»</p>", "<p>a ! ; : ? b</p>", "<p>«\u202fx\u202f»</p>"],
)
def test_french_typography_is_idempotent(html: str) -> None:
    once = french_typography(html)
    assert french_typography(once) == once


def test_french_typography_applies_to_french_content_only() -> None:
    source = "Une illusion ? « Oui » : `a ?`"
    french = render_post(source, "fr")
    english = render_post(source, "en")
    assert french.body_html == (
        f"<p>Une illusion{NNBSP}? «{NNBSP}Oui{NNBSP}»{NBSP}: <code>a ?</code></p>"
    )
    assert french.excerpt_html == french.body_html
    assert english.body_html == "<p>Une illusion ? « Oui » : <code>a ?</code></p>"
    assert render_comment("Vraiment ?", "fr") == f"<p>Vraiment{NNBSP}?</p>"
    assert render_comment("Really ?", "en") == "<p>Really ?</p>"
    assert sanitize_html("<p>Bonjour !</p>", "fr") == f"<p>Bonjour{NNBSP}!</p>"
    assert sanitize_html("<p>Hello !</p>", "en") == "<p>Hello !</p>"


# --- Imported HTML -------------------------------------------------------------------------------


def test_sanitize_html_cleans_a_wordpress_post() -> None:
    html = sanitize_html(
        '<p style="text-align:center" class="has-text-align-center">Bonjour : le '
        '<a href="https://example.com/" target="_blank">site</a>.</p>\n<!--more-->\n'
        '<figure class="wp-block-image"><img src="https://example.com/a.jpg" alt="A" '
        'srcset="https://example.com/a-300.jpg 300w" class="wp-image-1"></figure>',
        "fr",
    )
    assert html == (
        f'<p>Bonjour{NBSP}: le <a href="https://example.com/" rel="noopener noreferrer">site</a>'
        '.</p>\n\n<figure><img src="https://example.com/a.jpg" alt="A"></figure>'
    )


# --- Text helpers --------------------------------------------------------------------------------


def test_plain_text_strips_tags_decodes_entities_and_collapses_space() -> None:
    html = (
        "<h1>Titre</h1><p>Tom &amp; <em>Jerry</em>\n\n  &lt;3<br>fin</p>"
        f"<script>var x;</script><p>illusion{NNBSP}?</p>"
    )
    assert plain_text(html) == f"Titre Tom & Jerry <3 fin illusion{NNBSP}?"


def test_word_count_counts_readable_words() -> None:
    assert word_count("") == 0
    assert word_count("# Title\n\nHello *world*, l'été [link](https://x.example/a/b/c).") == 5
    assert word_count("<script>var a, b, c;</script>two words") == 2


def test_as_markup_marks_html_safe_without_changing_it() -> None:
    markup = as_markup("<p>Hi &amp; bye</p>")
    assert isinstance(markup, Markup)
    assert escape(markup) == "<p>Hi &amp; bye</p>"
