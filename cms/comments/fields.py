"""What a comment's fields may hold, and how typed values are cleaned: one rule for the public
form, the author's edits and imports."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..kernel.text import one_line, without_controls, without_format_characters
from ..models import COMMENT_EMAIL_MAX, COMMENT_NAME_MAX, COMMENT_WEBSITE_MAX

NAME_MAX, EMAIL_MAX, WEBSITE_MAX = COMMENT_NAME_MAX, COMMENT_EMAIL_MAX, COMMENT_WEBSITE_MAX
BODY_MAX = 5000  # characters of a comment's text

# Deliberately simple: a local part without spaces or markup characters, and a dotted domain.
EMAIL_RE = re.compile(r"[^@\s<>()\[\]\\,;:\"`]+@[\w-]+(?:\.[\w-]+)+")
# A typed "example.com/blog" is read as https://example.com/blog.
_BARE_DOMAIN_RE = re.compile(r"[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:[/?#:]|$)", re.IGNORECASE)
_URL_FORBIDDEN_RE = re.compile(r"[\s\"'<>`\\]")


def clean_text(value: str | None) -> str:
    """A comment body with Unix line ends, no control characters, and no blank edges; "" when
    nothing in it would show (only spaces and zero-width characters)."""
    text = without_controls(value).strip()
    return text if without_format_characters(text).strip() else ""


def name_line(value: str | None) -> str:
    """A commenter's name as one line, without invisible format characters: a right-to-left
    override or a zero-width space would make a name read as another."""
    return one_line(without_format_characters(value or ""))


def lowercase(value: str | None) -> str:
    return (value or "").lower()


def normalize_website(value: str | None) -> str:
    value = one_line(value)
    return f"https://{value}" if _BARE_DOMAIN_RE.match(value) else value


def is_web_address(value: str) -> bool:
    """An absolute http(s) address with a host, and nothing that could break out of an attribute."""
    if _URL_FORBIDDEN_RE.search(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def linkable_website(value: str | None) -> str:
    """The address when it is safe to link to, else "" (imported comments were never checked)."""
    return value if value and is_web_address(value) else ""
