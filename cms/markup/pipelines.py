"""The public pipelines: an author's post, a reader's comment, imported HTML and plain text to
sanitized, typeset HTML, and the one Markup(...) of the app."""

from __future__ import annotations

import html as html_entities
import re
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup, escape

from .allowlists import _comment_cleaner, _has_allowed_scheme, _post_cleaner
from .html_tokens import _top_level_blocks
from .markdown_converters import _comment_markdown, _post_markdown
from .text import _summarize, plain_text
from .typography import _typeset

# Stored next to every rendered body: bump it whenever the output of this package may change
# (Markdown extensions, allow-lists, typography), so old content gets re-rendered.
RENDERER_VERSION = 4  # 2: srcset for the library's images; 3: typographic apostrophes, no-break
# spaces added where none was typed; 4: French typography in images' alt text

MORE_MARKER = "<!--more-->"
# WordPress writes "<!--more-->" but also "<!--more Continue reading-->"; imports keep both. The
# link text stops at the next "<!--" (and "\s*" before "-->" is left to it): otherwise every
# unclosed marker read to the end of the text, and every space of a run tried the rest of it.
MORE_RE = re.compile(r"<!--\s*more(?:\s(?:[^<>]|<(?!!--))*?)?-->", re.IGNORECASE)


@dataclass(frozen=True)
class RenderedPost:
    """A post rendered once at save time; every field is safe to store as is."""

    body_html: str
    excerpt_html: str
    summary: str
    has_more: bool


# Markdown's own footnote reference; excerpts drop it, their footnotes are not on the page.
_FOOTNOTE_REF_RE = re.compile(
    r'<sup id="fnref\d*:[^"]*"><a class="footnote-ref"[^>]*>[^<]*</a></sup>'
)


def _excerpt(fragment: str, language: str) -> str:
    without_refs = _FOOTNOTE_REF_RE.sub("", fragment)
    return _typeset(_post_cleaner(keep_ids=False).clean(without_refs).strip(), language)


def _has_content(html: str) -> bool:
    return bool(plain_text(html)) or re.search(r"<(?:img|hr)\b", html) is not None


# An <img> as nh3 writes it (attribute values in double quotes, which they never contain).
_IMG_RE = re.compile(r'<img((?:\s+[a-z][a-z0-9-]*(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE_RE = re.compile(r'\s+([a-z][a-z0-9-]*)(?:="([^"]*)")?')
_DIMENSION_RE = re.compile(r"[1-9][0-9]{0,4}")
_SRCSET_CANDIDATE_RE = re.compile(r"(\S+) [1-9][0-9]{0,4}w")


def _site_path(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") and _has_allowed_scheme(url)


def _image_attribute_allowed(name: str, value: str) -> bool:
    """The attributes the site adds to its own images, checked as strictly as the allow-list:
    srcset (which the allow-list never lets an author write) lists addresses of this site only."""
    if name in ("width", "height"):
        return _DIMENSION_RE.fullmatch(value) is not None
    if name == "srcset":
        candidates = [_SRCSET_CANDIDATE_RE.fullmatch(part.strip()) for part in value.split(",")]
        return all(found and _site_path(found.group(1)) for found in candidates)
    if name == "sizes":
        return re.fullmatch(r"[\w\s().,:%+-]+", value) is not None
    return False


def _with_image_attributes(html: str, images: Mapping[str, Mapping[str, str]]) -> str:
    """Give each <img> whose src is a key of `images` the attributes it maps to (its size, its
    srcset and sizes), except those the author set; a width or height set by the author keeps
    the other one out too."""
    if not images or "<img" not in html:
        return html

    def extend(match: re.Match[str]) -> str:
        present = dict(_ATTRIBUTE_RE.findall(match.group(1)))
        extra = images.get(html_entities.unescape(present.get("src", "")))
        if not extra:
            return match.group(0)
        sized = "width" in present or "height" in present
        added = "".join(
            f' {name}="{escape(value)}"'
            for name, value in extra.items()
            if name not in present
            and not (sized and name in ("width", "height"))
            and _image_attribute_allowed(name, value)
        )
        return f"<img{match.group(1)}{added}>"

    return _IMG_RE.sub(extend, html)


def render_post(
    source: str, language: str, images: Mapping[str, Mapping[str, str]] | None = None
) -> RenderedPost:
    """Render an author's Markdown post to sanitized HTML, its excerpt and its summary.

    The excerpt is what comes before the first more-marker (split in the rendered HTML, so
    reference links and footnotes defined further down still resolve; a marker inside code is
    text, not a marker), else the first top-level paragraph (or first block when there is no
    paragraph). Excerpts carry no ids and no footnote references. has_more says whether the body
    holds anything besides the excerpt; a marker with nothing after it counts as no more.
    `images` maps the src of the site's own images to the attributes their <img> gets (width,
    height, srcset, sizes; see _with_image_attributes).
    Deterministic: the same source, language and images always give the same bytes.
    """
    rendered = _post_markdown(language).convert(source)
    cleaner = _post_cleaner(keep_ids=True)
    excerpt, has_more = "", False
    marker = MORE_RE.search(rendered)
    before = rendered[: marker.start()].rstrip() if marker else ""
    if marker and _has_content(cleaner.clean(before)):
        after = rendered[marker.end() :]
        body = cleaner.clean(before + after).strip()
        excerpt = _excerpt(before, language)
        has_more = _has_content(cleaner.clean(after))
    else:
        body = cleaner.clean(rendered).strip()
        blocks = _top_level_blocks(body)
        if blocks:
            first = next((block for block in blocks if block[0] == "p"), blocks[0])
            excerpt = _excerpt(first[1], language)
            has_more = len(blocks) > 1
    images = images or {}
    return RenderedPost(
        body_html=_with_image_attributes(_typeset(body, language), images),
        excerpt_html=_with_image_attributes(excerpt, images),
        summary=_summarize(plain_text(excerpt)),
        has_more=has_more,
    )


def _link_mention(html: str, mention: tuple[str, str]) -> str:
    """Link the "@Name" that opens the first paragraph to the comment it names.

    Applied after sanitizing, so the link may be site-relative; any other address is ignored.
    """
    text, href = mention
    if not href.startswith(("/", "#")) or href.startswith("//"):
        return html
    # The serializer escapes text the same way: &, < and > only.
    opening = "<p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if not html.startswith(opening):
        return html
    link = f'<p><a class="mention" href="{escape(href)}">{opening[3:]}</a>'
    return link + html[len(opening) :]


def render_comment(source: str, language: str, *, mention: tuple[str, str] | None = None) -> str:
    """Render a reader's comment to sanitized HTML.

    Paragraphs, line breaks, emphasis, inline code, quotes and links (Markdown links and bare
    http(s)/www. URLs) only; raw HTML shows as typed, images as their alt text, headings and
    lists as plain lines. Every link is absolute http(s)/mailto and gets rel="nofollow ugc
    noopener noreferrer". `mention` is ("@Name" as typed at the start of source, a site-relative
    address): that opening text becomes a link to the address.
    """
    rendered = _comment_markdown().convert(source)
    html = _comment_cleaner().clean(rendered).strip()
    if mention is not None:
        html = _link_mention(html, mention)
    return _typeset(html, language)


def sanitize_html(html: str, language: str) -> str:
    """Apply the post allow-list (and French typography) to HTML that is not Markdown."""
    return _typeset(_post_cleaner(keep_ids=True).clean(html).strip(), language)


def typeset_text(text: str, language: str) -> str:
    """Plain text (a title, a name) with French typography on a French site, still plain text:
    whoever shows it escapes it as any text (HTML, XML, JSON), so it is never escaped twice."""
    return html_entities.unescape(_typeset(str(escape(text)), language))


def as_markup(html: str) -> Markup:
    """Mark HTML that this package produced (stored body, excerpt, comment) safe for templates.

    Never pass it anything else: it does not sanitize.
    """
    # The one deliberate Markup(...) of the app: everything else reaches templates escaped.
    return Markup(html)  # noqa: S704 -- sanitized by this package  # nosec B704
