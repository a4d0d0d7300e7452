"""Small HTTP rules every part of the web layer may ask: where a redirect may lead, whose form it
is, which numbers a query string or a form may send; the request whose unreadable body is a 400."""

import io
import ipaddress
from typing import IO
from urllib.parse import urlsplit

import flask
from flask import abort, request
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.utils import cached_property


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, None for anything that could lead elsewhere."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target


def client_network(address: str | None) -> str:
    """Whom a limit counts: an IPv4 address as it is, an IPv6 address by its /64 (one household
    or server is given a whole /64, so its single addresses are an unlimited supply)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def origin_is_foreign() -> bool:
    """Whether the request names an Origin other than this site (a missing Origin is allowed:
    older browsers and privacy tools leave it out)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:  # "http://[::1": no site's origin
        return True
    return (
        f"{parts.scheme}://{parts.netloc}".lower() != f"{request.scheme}://{request.host}".lower()
    )


# The largest id the tables hold: their ids are INTEGER, four bytes on PostgreSQL (SQLite's are
# wider, but no site counts that far).
MAX_ID = 2**31 - 1
# No page number or id in a query string comes near this; page offsets (page x at most a
# hundred per page) stay in a 64-bit integer.
MAX_QUERY_NUMBER = 10**15


def positive_number(value: object, maximum: int) -> int | None:
    """`value` as a whole number from 1 to `maximum`, or None: an int, or a str written in ASCII
    digits alone. No sign, space or underscore, and none of the digits that str.isdigit() or int()
    accept beyond ASCII ("²", "٣"), so that what the site reads is what its links write."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > len(str(maximum)):
            return None
        value = int(value)
    return value if isinstance(value, int) and 0 < value <= maximum else None


def record_id(value: object) -> int | None:
    """A row id sent by a form or a script, or None when it cannot be one (see positive_number):
    never an overflow in the driver."""
    return positive_number(value, MAX_ID)


def requested_page() -> int:
    """The ?page=N of a listing, 1 when absent. Aborts 404 for anything but a positive_number up
    to MAX_QUERY_NUMBER (an address like that lists nothing)."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    page = positive_number(raw, MAX_QUERY_NUMBER)
    if page is None:
        abort(404)
    return page


class ReadableBody(io.RawIOBase):
    """A request body whose reading fails with an HTTP error only. A body the server cannot
    decode is the client's error: gunicorn raises its own parse errors (InvalidChunkSize and
    its kin) from read(), inside whichever view reads the form, where they would be a 500."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._stream.read(len(buffer))
        except HTTPException:  # werkzeug's own: a client gone (400), a body too large (413)
            raise
        except Exception as error:
            raise BadRequest() from error
        buffer[: len(data)] = data
        return len(data)


class Request(flask.Request):
    """Flask's request, with its body read through ReadableBody: the form, the files, get_data()
    and get_json() all read `stream`."""

    @cached_property
    def stream(self) -> IO[bytes]:
        return ReadableBody(super().stream)
