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
# A leading \s* starts only where a whitespace run does: tried at every space of a long run, it
# read the rest of the run each time (the square of its length). WordPress's "\s*(tag)\s*" is
# two passes, spaces before such tags then after them: the same spaces go.
_COLLAPSE = (
    (("<option",), ((r"(?<!\s)\s*<option", "<option"), (r"</option>\s*", "</option>"))),
    (
        ("</object>",),
        (
            (r"(<object[^>]*>)\s*", r"\1"),
            (r"(?<!\s)\s*</object>", "</object>"),
            (r"(?<!\s)\s*(</?(?:param|embed)[^>]*>)", r"\1"),
            (r"(</?(?:param|embed)[^>]*>)\s*", r"\1"),
        ),
    ),
    (
        ("<source", "<track"),
        (
            (r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", r"\1"),
            (r"(?<!\s)\s*([<\[]/(?:audio|video)[>\]])", r"\1"),
            (r"(?<!\s)\s*(<(?:source|track)[^>]*>)", r"\1"),
            (r"(<(?:source|track)[^>]*>)\s*", r"\1"),
        ),
    ),
    (
        ("<figcaption",),
        ((r"(?<!\s)\s*(<figcaption[^>]*>)", r"\1"), (r"</figcaption>\s*", "</figcaption>")),
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

    text = _mark_newlines_in_raw_elements(text)
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
    text = _newlines_to_breaks(text)
    text = text.replace(_KEPT_NL, "\n")

    text = _sub(rf"(</?{_ALL_BLOCKS}[^>]*>)\s*<br />", r"\1", text)
    text = _sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = _sub(r"\n</p>$", "</p>", text)
    for placeholder, block in pre_blocks.items():
        text = text.replace(placeholder, block)
    if "<!-- wpnl -->" in text:
        text = text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")
    return text


_RAW_START = re.compile(r"<(script|style|svg|math)", re.ASCII)
_KEPT_NL = "<WPPreserveNewline />"


def _mark_newlines_in_raw_elements(text: str) -> str:
    """preg_replace_callback('/<(script|style|svg|math).*?<\\/\\1>/s', ...): newlines inside these
    elements are kept from becoming <br />. The regular expression read to the end of the text
    from every opening tag left unclosed; here a name with no closing tag left is not sought again."""
    pieces: list[str] = []
    done = search_from = 0
    unclosed: set[str] = set()
    while match := _RAW_START.search(text, search_from):
        name = match[1]
        close = -1 if name in unclosed else text.find(f"</{name}>", match.end())
        if close < 0:
            unclosed.add(name)
            search_from = match.start() + 1
            continue
        end = close + len(name) + 3
        pieces += [text[done : match.start()], text[match.start() : end].replace("\n", _KEPT_NL)]
        done = search_from = end
    return "".join([*pieces, text[done:]])


_WHITESPACE_RUN = re.compile(r"\s+", re.ASCII)


def _newlines_to_breaks(text: str) -> str:
    """preg_replace('|(?<!<br />)\\s*\\n|', "<br />\\n", ...), in one pass over the whitespace runs
    (the expression, tried at every space of a run with no newline, read the rest of it each time).

    Each run that holds a newline loses everything up to its last newline to "<br />\\n", from its
    first character, or from its second when "<br />" comes right before it.
    """

    def replace(match: re.Match[str]) -> str:
        run = match[0]
        last_newline = run.rfind("\n")
        skip = 1 if text.endswith("<br />", 0, match.start()) else 0
        if last_newline < skip:
            return run
        return run[:skip] + "<br />\n" + run[last_newline + 1 :]

    return _WHITESPACE_RUN.sub(replace, text)


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
    # Every shortcode ends with "]": searching beyond the last one would read to the end of the
    # text from each "[gallery" left unclosed there, for nothing.
    end = text.rfind("]") + 1
    return _SHORTCODE.sub(_replace_shortcode, text[:end]) + text[end:]


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
