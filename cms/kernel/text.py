"""Small text rules: readable URL slugs (accents folded, ASCII words joined by hyphens), newlines,
typed text without control characters."""

import re
import unicodedata

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Letters that have no decomposition but an obvious ASCII spelling.
_SPELLED = str.maketrans(
    {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"}
)


def slugify(text: str, max_length: int = 80) -> str:
    """'Été à Montréal !' -> 'ete-a-montreal'; '' when nothing usable remains."""
    folded = unicodedata.normalize("NFKD", text.translate(_SPELLED))
    letters = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", letters, flags=re.ASCII).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


def is_valid_slug(slug: str) -> bool:
    return bool(SLUG_PATTERN.match(slug)) and len(slug) <= 200


def normalize_newlines(text: str) -> str:
    """Every line ending as LF (browsers send CRLF, old Macs CR)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# What nobody types and XML 1.0 refuses or discourages: C0 controls but tab and newline, DEL,
# C1 controls, and the noncharacters U+FFFE and U+FFFF. One in a title made the feed invalid XML.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def without_controls(text: str | None) -> str:
    """Typed text with Unix line ends and no control characters (see _CONTROL_RE)."""
    return _CONTROL_RE.sub("", normalize_newlines(text or ""))


def without_format_characters(text: str) -> str:
    """Text without Unicode's invisible format characters (zero-width spaces and joiners, soft
    hyphens, right-to-left overrides): what makes two names that look alike differ."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


# Cyrillic and Greek letters drawn like Latin ones, as a reader sees them.
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁԛԝАВЕКМНОРСТХІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧοιν",
    "aeopcyxijsdqwABEKMHOPCTXIJSABEZHIKMNOPTYXoiv",
)


def lookalike_key(name: str) -> str:
    """What a name looks like, for telling whether two names would pass for one another: format
    characters dropped, compatibility forms (full-width letters) unfolded, look-alike letters
    made Latin, case and runs of spaces aside."""
    folded = unicodedata.normalize("NFKC", without_format_characters(name)).translate(_LOOKALIKES)
    return " ".join(folded.split()).casefold()


def one_line(text: str | None) -> str:
    """A title, name or address as one trimmed line: control characters dropped, every run of
    spaces, tabs and line breaks made one space."""
    return " ".join(_CONTROL_RE.sub("", text or "").split())


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 problem', '2 problems': English, for the command-line reports."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"
