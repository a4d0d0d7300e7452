"""The benchmark's small HTTP client: one GET or POST per connection, redirects not followed."""

from __future__ import annotations

import http.client
from urllib.parse import urlencode, urlsplit

from . import pageweight


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    """GET without following redirects: (status, headers, body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def post_form(url: str, fields: dict[str, str], cookie: str = "") -> tuple[int, dict]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    try:
        connection.request("POST", parts.path, body=urlencode(fields), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def comment_form(url: str) -> dict:
    """The comment form of the post page at url (the model post always takes comments)."""
    form = pageweight.comment_form(fetch(url)[2].decode("utf-8"))
    if form is None:
        raise RuntimeError(f"{url} has no comment form")
    return form
