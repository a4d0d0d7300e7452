"""What a reader's browser must fetch to show a page, and what it needs JavaScript for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

LIMIT_KIB = 40


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stylesheets: list[str] = []
        self.scripts: list[dict] = []
        self.inline_scripts = 0
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and "stylesheet" in a.get("rel", "").split():
            self.stylesheets.append(a.get("href", ""))
        elif tag == "script":
            if a.get("src"):
                self.scripts.append(a)
            else:
                self.inline_scripts += 1
        elif tag == "form":
            # Without its #fragment, which the browser keeps and never sends.
            action = a.get("action", "").partition("#")[0]
            self._form = {"action": action, "method": a.get("method", "get").lower(),
                          "fields": {}, "hidden": {}}  # fmt: skip
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select") and self._form is not None:
            name = a.get("name")
            if name:
                self._form["fields"][name] = a.get("type", tag)
                if a.get("type") == "hidden":
                    self._form["hidden"][name] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


@dataclass
class PageWeight:
    html_bytes: int
    css_bytes: int
    stylesheets: list[str]
    problems: list[str] = field(default_factory=list)
    comment_form: dict | None = None

    @property
    def total_kib(self) -> float:
        return (self.html_bytes + self.css_bytes) / 1024

    @property
    def ok(self) -> bool:
        return not self.problems


def comment_form(html: str) -> dict | None:
    """The post page's comment form: action, method, field types and hidden values."""
    scan = _Scan()
    scan.feed(html)
    return next((f for f in scan.forms if f["action"].rstrip("/").endswith("/comments")), None)


def weigh(html: bytes, page_url: str, fetch: Callable[[str], bytes]) -> PageWeight:
    """Weigh the page and its stylesheets (`fetch` gets a URL's bytes), and list what breaks
    the rules: over LIMIT_KIB, render-blocking resources from another host, scripts needed."""
    scan = _Scan()
    scan.feed(html.decode("utf-8"))
    host = urlsplit(page_url).netloc
    css = 0
    problems = []
    for href in scan.stylesheets:
        url = urljoin(page_url, href)
        if urlsplit(url).netloc != host:
            problems.append(f"stylesheet from another host: {url}")
            continue
        css += len(fetch(url))
    for script in scan.scripts:
        url = urljoin(page_url, script["src"])
        if urlsplit(url).netloc != host:
            problems.append(f"script from another host: {url}")
        elif "defer" not in script and "async" not in script and script.get("type") != "module":
            problems.append(f"render-blocking script: {url}")
    if scan.inline_scripts:
        problems.append(f"{scan.inline_scripts} inline script(s)")
    form = next((f for f in scan.forms if f["action"].rstrip("/").endswith("/comments")), None)
    if form is None:
        problems.append("no comment form in the page")
    elif form["method"] != "post" or "body" not in form["fields"]:
        problems.append("the comment form does not post its text without JavaScript")
    weight = PageWeight(len(html), css, scan.stylesheets, problems, form)
    if weight.total_kib > LIMIT_KIB:
        problems.append(f"HTML + CSS weigh {weight.total_kib:.1f} KiB (limit {LIMIT_KIB} KiB)")
    return weight
