"""Read WordPress export files (WXR 1.0 to 1.2) into the frozen records of records.py."""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError
from xml.parsers.expat import errors as expat_errors

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .records import WXRAuthor, WXRComment, WXRError, WXRExport, WXRItem

# wp: and excerpt: namespaces of every WXR version; WordPress.com writes https.
_WXR_NAMESPACE = re.compile(r"https?://wordpress\.org/export/\d+\.\d+/(excerpt/)?\Z")
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

_ITEM_STATUS = {
    "publish": "published",
    "future": "scheduled",
    "draft": "draft",
    "pending": "draft",
    "private": "draft",
    "auto-draft": "draft",
}
_COMMENT_STATUS = {
    "1": "approved",
    "0": "pending",
    "spam": "spam",
    "trash": "trash",
    "post-trashed": "trash",
}
_COMMENT_KIND = {
    "": "comment",
    "comment": "comment",
    "pingback": "pingback",
    "trackback": "trackback",
}
_SKIPPED_TYPES = {
    "attachment": "attachments are not imported",
    "nav_menu_item": "navigation menu items are not imported",
}
# WXR 1.0 wrote tags with domain="tag"; a category without a domain is a category.
_TAG_DOMAINS = frozenset({"category", "post_tag", "tag"})

# expat errors that mean the input stopped before the document did, and what to tell the user.
_ENDS_EARLY = {
    expat_errors.codes[expat_errors.XML_ERROR_NO_ELEMENTS]: "the file is empty or ends too early",
    expat_errors.codes[expat_errors.XML_ERROR_UNCLOSED_TOKEN]: "the file ends too early",
    expat_errors.codes[expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION]: "the file ends too early",
}


def parse_wxr(source: str | bytes | os.PathLike[str] | BinaryIO) -> WXRExport:
    """Parse a WordPress export (WXR 1.0 to 1.2) into a WXRExport.

    source is a path (str or PathLike), the document itself (bytes, or a str starting with "<"),
    or a binary file object, which is read but not closed. The file is read as a stream and
    each item is dropped once converted, so memory stays proportional to the result.

    Raises WXRError when the file cannot be read, is not well-formed XML (truncated files
    included), declares entities (refused to stop entity-expansion attacks), is not an RSS
    document with a channel and a wp:wxr_version, or holds a value that cannot be a WordPress
    one (an id that is not a number, a malformed date).
    """
    name = _source_name(source)
    with _open_source(source, name) as stream:
        try:
            return _read_export(stream, name)
        except ParseError as err:
            raise WXRError(_xml_error_message(name, err)) from err
        except DefusedXmlException as err:
            raise WXRError(f"{name} declares XML entities, which are refused for safety") from err


def _source_name(source: object) -> str:
    """The file name to show the user, or a neutral subject when there is none."""
    if isinstance(source, os.PathLike) or (isinstance(source, str) and not _is_document(source)):
        return Path(source).name
    filename = getattr(source, "name", None)
    return Path(filename).name if isinstance(filename, str) else "The file"


def _is_document(text: str) -> bool:
    """Whether a str source is XML text rather than a path (no path starts with "<")."""
    return text.lstrip("\ufeff \t\r\n").startswith("<")


@contextmanager
def _open_source(
    source: str | bytes | os.PathLike[str] | BinaryIO, name: str
) -> Iterator[BinaryIO]:
    """A binary stream over source; only a file opened here is closed afterwards."""
    if isinstance(source, (bytes, bytearray)):
        yield io.BytesIO(source)
    elif isinstance(source, str) and _is_document(source):
        # WordPress exports in the blog charset, which is UTF-8 in practice.
        yield io.BytesIO(source.encode("utf-8"))
    elif isinstance(source, (str, os.PathLike)):
        try:
            stream = open(source, "rb")  # noqa: SIM115 -- closed by the with below
        except OSError as err:
            raise WXRError(f"{name} cannot be read: {err.strerror or err}") from err
        with stream:
            yield stream
    else:
        yield source


def _xml_error_message(name: str, err: ParseError) -> str:
    """One line naming the file, the 1-based position and expat's reason, with a hint if cut."""
    line, column = err.position
    reason = expat_errors.messages.get(err.code, str(err).split(":")[0])
    message = f"{name} is not valid XML (line {line}, column {column + 1}): {reason}"
    if err.code in _ENDS_EARLY:
        message += f" ({_ENDS_EARLY[err.code]}: an incomplete download or copy?)"
    return message


def _read_export(stream: BinaryIO, name: str) -> WXRExport:
    """Stream the document, converting each channel child as soon as it is complete."""
    wp = excerpt = ""
    version: str | None = None
    channel: dict[str, str] = {}
    authors: list[WXRAuthor] = []
    items: list[WXRItem] = []
    skipped: list[tuple[str, str]] = []
    depth = 0
    in_channel = seen_channel = False

    for event, payload in iterparse(stream, events=("start-ns", "start", "end")):
        if event == "start-ns":
            match = _WXR_NAMESPACE.match(payload[1])
            if match and match.group(1):
                excerpt = excerpt or payload[1]
            elif match:
                wp = wp or payload[1]
            continue
        element: Element = payload
        if event == "start":
            depth += 1
            if depth == 1 and element.tag != "rss":
                local = element.tag.rpartition("}")[2]
                raise WXRError(
                    f"{name} is not a WordPress export (its root element is <{local}>, not <rss>)"
                )
            if depth == 2 and element.tag == "channel":
                in_channel = seen_channel = True
            continue

        depth -= 1
        if depth == 1:
            in_channel = False
        if depth != 2 or not in_channel:
            continue
        tag = element.tag
        if tag == "item":
            if not wp:
                # Fail before reading a large feed that can never be imported.
                raise WXRError(f"{name} is not a WordPress export (no wp:wxr_version)")
            _read_item(element, wp, excerpt, items, skipped)
        elif tag == f"{{{wp}}}author":
            authors.append(
                WXRAuthor(
                    login=_field(element, f"{{{wp}}}author_login"),
                    email=_field(element, f"{{{wp}}}author_email"),
                    display_name=html.unescape(_field(element, f"{{{wp}}}author_display_name")),
                )
            )
        elif tag == f"{{{wp}}}wxr_version":
            version = (element.text or "").strip()
        elif tag in ("title", "link", "language", f"{{{wp}}}base_blog_url"):
            channel.setdefault(tag.rpartition("}")[2], (element.text or "").strip())
        element.clear()

    if not seen_channel:
        raise WXRError(f"{name} is not a WordPress export (no <channel> in the <rss> document)")
    if not wp or version is None:
        raise WXRError(f"{name} is not a WordPress export (no wp:wxr_version)")
    return WXRExport(
        site_title=html.unescape(channel.get("title", "")),
        site_url=channel.get("base_blog_url") or channel.get("link", ""),
        language=channel.get("language", ""),
        authors=tuple(authors),
        items=tuple(items),
        skipped=tuple(skipped),
    )


def _read_item(
    item: Element, wp: str, excerpt: str, items: list[WXRItem], skipped: list[tuple[str, str]]
) -> None:
    """Append one <item> to items, or its description and reason to skipped."""
    title = _field(item, "title")
    wp_id = _number(item, f"{{{wp}}}post_id", f"item {title!r}")
    post_type = _field(item, f"{{{wp}}}post_type") or "post"
    original_status = _field(item, f"{{{wp}}}status")
    label = f"{post_type} '{title}' (id {wp_id})" if title else f"{post_type} (id {wp_id})"
    if post_type not in ("post", "page"):
        reason = _SKIPPED_TYPES.get(post_type, f"post type '{post_type}' is not imported")
        skipped.append((label, reason))
        return
    if original_status == "trash":
        skipped.append((label, "it was in the trash"))
        return

    comments = []
    for comment in item.iterfind(f"{{{wp}}}comment"):
        converted = _read_comment(comment, wp, label)
        if isinstance(converted, WXRComment):
            comments.append(converted)
        else:
            skipped.append(converted)

    items.append(
        WXRItem(
            wp_id=wp_id,
            kind=post_type,
            title=title,
            slug=_field(item, f"{{{wp}}}post_name"),
            link=_field(item, "link"),
            author_login=_field(item, _CREATOR),
            content_html=_field(item, _CONTENT),
            excerpt_html=_field(item, f"{{{excerpt}}}encoded") if excerpt else "",
            date_gmt=_date(item, f"{{{wp}}}post_date_gmt", f"{{{wp}}}post_date", label),
            # Anything unknown stays unpublished: showing a post is the one irreversible mistake.
            status=_ITEM_STATUS.get(original_status, "draft"),
            original_status=original_status,
            comments_open=_field(item, f"{{{wp}}}comment_status") == "open",
            tags=_tag_names(item),
            menu_order=_number(item, f"{{{wp}}}menu_order", label, default=0),
            comments=tuple(comments),
        )
    )


def _read_comment(comment: Element, wp: str, on: str) -> WXRComment | tuple[str, str]:
    """Convert one wp:comment, or describe why it is skipped."""
    wp_id = _number(comment, f"{{{wp}}}comment_id", f"a comment on {on}")
    label = f"comment {wp_id} on {on}"
    comment_type = _field(comment, f"{{{wp}}}comment_type")
    if comment_type not in _COMMENT_KIND:
        return (label, f"comment type '{comment_type}' is not imported")
    date = _date(comment, f"{{{wp}}}comment_date_gmt", f"{{{wp}}}comment_date", label)
    if date is None:
        raise WXRError(f"{label} has no date")
    return WXRComment(
        wp_id=wp_id,
        parent_wp_id=_number(comment, f"{{{wp}}}comment_parent", label, default=0) or None,
        author=html.unescape(_field(comment, f"{{{wp}}}comment_author")),
        email=_field(comment, f"{{{wp}}}comment_author_email"),
        url=_field(comment, f"{{{wp}}}comment_author_url"),
        ip=_field(comment, f"{{{wp}}}comment_author_IP"),
        date_gmt=date,
        body=_field(comment, f"{{{wp}}}comment_content"),
        # Unknown values are held back for moderation rather than shown.
        status=_COMMENT_STATUS.get(_field(comment, f"{{{wp}}}comment_approved"), "pending"),
        kind=_COMMENT_KIND[comment_type],
    )


def _field(element: Element, tag: str) -> str:
    """The child's text without surrounding whitespace; "" when the child is missing or empty.

    Surrounding whitespace is never meaningful in these fields, and exporters leave some
    (a newline and tab after a CDATA section, for instance).
    """
    return (element.findtext(tag) or "").strip()


def _number(element: Element, tag: str, where: str, default: int | None = None) -> int:
    """The child's integer; default when it is missing or empty, if a default is given."""
    value = _field(element, tag)
    if not value and default is not None:
        return default
    try:
        return int(value)
    except ValueError:
        local = tag.rpartition("}")[2]
        raise WXRError(f"{where} has an invalid wp:{local} ({value!r})") from None


def _date(element: Element, gmt_tag: str, local_tag: str, where: str) -> datetime | None:
    """The GMT date, else the local one (drafts have no GMT date yet), else None.

    WordPress writes "0000-00-00 00:00:00" for a date it has not set.
    """
    for tag in (gmt_tag, local_tag):
        value = _field(element, tag)
        if not value or value.startswith("0000-00-00"):
            continue
        try:
            return datetime.strptime(value, _DATE_FORMAT)
        except ValueError:
            local = tag.rpartition("}")[2]
            raise WXRError(f"{where} has an invalid wp:{local} ({value!r})") from None
    return None


def _tag_names(item: Element) -> tuple[str, ...]:
    """Category and tag names as plain text, first spelling kept when a name repeats in any case."""
    names: dict[str, str] = {}
    for category in item.iterfind("category"):
        if category.get("domain", "category") not in _TAG_DOMAINS:
            continue
        # Term names are stored HTML-escaped ("Arts &amp; Crafts").
        name = html.unescape((category.text or "").strip())
        if name:
            names.setdefault(name.casefold(), name)
    return tuple(names.values())
