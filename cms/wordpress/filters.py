"""Ports of WordPress display filters: wpautop(), has_blocks() and strip_shortcodes()."""

from __future__ import annotations

import re

# PHP's PCRE (without /u) knows only ASCII whitespace and word characters; re.ASCII matches it.
_ALL_BLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map"
    r"|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup"
    r"|header|footer|nav|figure|figcaption|details|menu|summary)"
)
# wp_html_split(): text and tags alternate; comments and CDATA count as tags even with a '>'.
_HTML_SPLIT = re.compile(
    r"(<(?:(?=!--)!(?:-(?!->)[^\-]*+)*+(?:-->)?"
    r"|(?=!\[CDATA\[)!\[CDATA\[[^\]]*+(?:\](?!\]>)[^\]]*+)*+(?:\]\]>)?"
    r"|[^>]*>?))"
)
# Elements whose inner line breaks wpautop() must not turn into paragraphs, and how it avoids it.
_COLLAPSE = (
    (("<option",), ((r"\s*<option", "<option"), (r"</option>\s*", "</option>"))),
    (
        ("</object>",),
        (
            (r"(<object[^>]*>)\s*", r"\1"),
            (r"\s*</object>", "</object>"),
            (r"\s*(</?(?:param|embed)[^>]*>)\s*", r"\1"),
        ),
    ),
    (
        ("<source", "<track"),
        (
            (r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", r"\1"),
            (r"\s*([<\[]/(?:audio|video)[>\]])", r"\1"),
            (r"\s*(<(?:source|track)[^>]*>)\s*", r"\1"),
        ),
    ),
    (
        ("<figcaption",),
        ((r"\s*(<figcaption[^>]*>)", r"\1"), (r"</figcaption>\s*", "</figcaption>")),
    ),
)
_PHP_WHITESPACE = " \t\n\r\0\x0b"


def _sub(pattern: str, replacement: str, text: str) -> str:
    return re.sub(pattern, replacement, text, flags=re.ASCII)


def wpautop(text: str) -> str:
    """Port of WordPress's wpautop() (with $br on), the filter that shapes classic-editor posts.

    Blank-line-separated text becomes <p> paragraphs and remaining single newlines become
    <br />; block-level HTML (lists, headings, tables, blockquotes, figures...) is not wrapped
    in <p>, and <pre> blocks come back byte for byte. Like WordPress, it returns "" for blank
    text. WordPress skips this filter for block-editor content: check has_blocks() first.
    """
    if not text.strip(_PHP_WHITESPACE):
        return ""
    text += "\n"

    pre_blocks: dict[str, str] = {}
    if "<pre" in text:
        *parts, last = text.split("</pre>")
        kept = []
        for part in parts:
            start = part.find("<pre")
            if start == -1:  # a stray </pre>: WordPress drops it too
                kept.append(part)
                continue
            placeholder = f"<pre wp-pre-tag-{len(pre_blocks)}></pre>"
            pre_blocks[placeholder] = part[start:] + "</pre>"
            kept.append(part[:start] + placeholder)
        text = "".join(kept) + last

    text = _sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = _sub(rf"(<{_ALL_BLOCKS}[\s/>])", r"\n\n\1", text)
    text = _sub(rf"(</{_ALL_BLOCKS}>)", r"\1\n\n", text)
    text = _sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _mark_newlines_in_tags(text)
    for triggers, rules in _COLLAPSE:
        if any(trigger in text for trigger in triggers):
            for pattern, replacement in rules:
                text = _sub(pattern, replacement, text)
    text = _sub(r"\n\n+", "\n\n", text)

    pieces = re.split(r"\n\s*\n", text, flags=re.ASCII)
    text = "".join(f"<p>{piece.strip(chr(10))}</p>\n" for piece in pieces if piece)
    text = _sub(r"<p>\s*</p>", "", text)
    text = _sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = _sub(rf"<p>\s*(</?{_ALL_BLOCKS}[^>]*>)\s*</p>", r"\1", text)
    text = _sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = _sub(r"(?i)<p><blockquote([^>]*)>", r"<blockquote\1><p>", text)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = _sub(rf"<p>\s*(</?{_ALL_BLOCKS}[^>]*>)", r"\1", text)
    text = _sub(rf"(</?{_ALL_BLOCKS}[^>]*>)\s*</p>", r"\1", text)

    text = re.sub(
        r"<(script|style|svg|math).*?</\1>",
        lambda match: match[0].replace("\n", "<WPPreserveNewline />"),
        text,
        flags=re.ASCII | re.DOTALL,
    )
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
    text = _sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    text = text.replace("<WPPreserveNewline />", "\n")

    text = _sub(rf"(</?{_ALL_BLOCKS}[^>]*>)\s*<br />", r"\1", text)
    text = _sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = _sub(r"\n</p>$", "</p>", text)
    for placeholder, block in pre_blocks.items():
        text = text.replace(placeholder, block)
    if "<!-- wpnl -->" in text:
        text = text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")
    return text


def _mark_newlines_in_tags(text: str) -> str:
    """Hide newlines inside tags and comments so that they cannot split a paragraph."""
    parts = _HTML_SPLIT.split(text)
    for index in range(1, len(parts), 2):
        parts[index] = parts[index].replace("\n", " <!-- wpnl --> ")
    return "".join(parts)


def has_blocks(text: str) -> bool:
    """Whether text was written in the block editor, which WordPress never passes to wpautop()."""
    return "<!-- wp:" in text


# WordPress core's shortcodes. Plugin shortcodes are left alone, as WordPress leaves any name
# it does not know: brackets are common in prose ("[sic]", "[...]" in pingbacks).
_CORE_SHORTCODES = ("audio", "caption", "embed", "gallery", "playlist", "video", "wp_caption")
_KEEPS_CONTENT = frozenset({"caption", "wp_caption", "embed"})
# get_shortcode_regex(): 1 "[" of an escaped [[tag]], 2 name, 3 attributes, 4 self-closing "/",
# 5 enclosed content, 6 "]" of an escaped [[tag]].
_SHORTCODE = re.compile(
    r"\[(\[?)(" + "|".join(_CORE_SHORTCODES) + r")(?![\w-])"
    r"([^\]/]*(?:/(?!\])[^\]/]*)*?)"
    r"(?:(/)\]|\](?:([^\[]*+(?:\[(?!/\2\])[^\[]*+)*+)\[/\2\])?)"
    r"(\]?)",
    re.ASCII,
)
_CAPTION_ATTRIBUTE = re.compile(
    r"""(?:^|\s)caption\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s'"]+))""", re.ASCII
)


def strip_shortcodes(text: str) -> str:
    """Remove WordPress core shortcodes, keeping what a reader would still want to see.

    - [caption ...]<img ...> Text[/caption] and [wp_caption] keep their inner HTML; an old-style
      caption="Text" attribute is appended to it after a space. Other attributes are dropped.
    - [embed]https://...[/embed] keeps the URL.
    - [gallery], [playlist], [audio] and [video] are removed with anything they enclose: they
      render media that the importer does not bring over.
    - [[gallery]], WordPress's escape for literal text, becomes "[gallery]".
    - Any other bracketed text, plugin shortcodes included, is left as it is.
    """
    return _SHORTCODE.sub(_replace_shortcode, text)


def _replace_shortcode(match: re.Match[str]) -> str:
    opening, name, attributes, _, content, closing = match.groups()
    if opening == "[" and closing == "]":
        return match[0][1:-1]
    kept = ""
    if name in _KEEPS_CONTENT and content:
        kept = strip_shortcodes(content).strip()
    if name in ("caption", "wp_caption") and (caption := _CAPTION_ATTRIBUTE.search(attributes)):
        words = next(group for group in caption.groups() if group is not None)
        kept = f"{kept} {words}".strip()
    return f"{opening}{kept}{closing}"
