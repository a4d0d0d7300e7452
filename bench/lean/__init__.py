"""The lean reference: Causerie's post page, home page, tag page, feed and comment POST for the
bench site, written the plain way: Flask for the request, Jinja2 templates, sqlite3 queries,
no ORM, no form library, no Babel, no page cache.

It reads what Causerie stored (the rendered post, excerpt and comment HTML) and writes the same
markup, so that a ratio of CPU times compares the same page, not a smaller one; a comment runs
through the same Markdown and sanitizer (`cms.markup.render_comment`, pure text machinery) and
is stored with one INSERT. It knows the bench site's language only (French dates are written
from a table of month names). Served like Causerie (`gunicorn bench.lean:app`, the instance
folder in CAUSERIE_BENCH_INSTANCE, its own copy of the database at lean.sqlite3 there, so its
comments never reach the pages Causerie serves: `gunicorn bench.lean.wsgi:app`); `create()`
builds one in-process.
"""

from __future__ import annotations

import base64
import functools
import gettext
import hashlib
import hmac
import math
import runpy
import secrets
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, Response, abort, redirect, request
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from cms.markup import render_comment, typeset_text

HERE = Path(__file__).resolve().parent
CATALOGUES = HERE.parent.parent / "cms" / "translations"
MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
}  # fmt: skip
OG_LOCALES = {"fr": "fr_FR", "en": "en_US"}
BODY_MAX, NAME_MAX, EMAIL_MAX, WEBSITE_MAX = 5000, 100, 254, 500
FEED_SIZE = 20
TOKEN_MAX_AGE = 7 * 24 * 3600

SETTINGS = """SELECT title, tagline, language, timezone, posts_per_page, comments_open,
  close_comments_after_days, closed_notice, require_email, show_reading_time
  FROM site_settings WHERE id = 1"""
NAV = """SELECT title, slug FROM posts WHERE kind = 'page' AND status = 'published'
  AND published_at <= ? AND nav_order IS NOT NULL ORDER BY nav_order, title"""
POST = """SELECT p.id, p.title, p.slug, p.body_html, p.summary, p.published_at, p.word_count,
  p.allow_comments, a.display_name AS author FROM posts p LEFT JOIN authors a ON a.id = p.author_id
  WHERE p.slug = ? AND p.kind = 'post' AND p.status = 'published' AND p.published_at <= ?"""
POST_ID = """SELECT id, published_at, allow_comments FROM posts
  WHERE slug = ? AND kind = 'post' AND status = 'published' AND published_at <= ?"""
POST_TAGS = """SELECT t.name, t.slug FROM tags t JOIN post_tags pt ON pt.tag_id = t.id
  WHERE pt.post_id = ? ORDER BY t.name"""
COUNT = "SELECT count(*) FROM comments WHERE post_id = ? AND status = 'approved'"
COMMENTS = """SELECT id, parent_id, author_name, author_website, author_id, body_html, created_at
  FROM comments WHERE post_id = ? AND status = 'approved' ORDER BY created_at, id
  LIMIT ? OFFSET ?"""
NUMBERS = """SELECT id, number FROM (SELECT id, row_number() OVER (ORDER BY created_at, id)
  AS number FROM comments WHERE post_id = ? AND status = 'approved') WHERE id IN ({})"""
LISTED = """SELECT p.id, p.title, p.slug, p.excerpt_html, p.has_more, p.published_at,
  (SELECT count(*) FROM comments c WHERE c.post_id = p.id AND c.status = 'approved') AS comments
  FROM posts p WHERE p.kind = 'post' AND p.status = 'published' AND p.published_at <= ? {}
  ORDER BY p.published_at DESC, p.id DESC LIMIT ? OFFSET ?"""
LISTED_COUNT = """SELECT count(*) FROM posts p WHERE p.kind = 'post' AND p.status = 'published'
  AND p.published_at <= ? {}"""
WITH_TAG = "AND p.id IN (SELECT post_id FROM post_tags WHERE tag_id = ?)"
TAGS_OF = """SELECT pt.post_id, t.name, t.slug FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
  WHERE pt.post_id IN ({}) ORDER BY t.name"""
TAG = "SELECT id, name, slug FROM tags WHERE slug = ?"
FEED = """SELECT p.id, p.title, p.slug, p.body_html, p.summary, p.published_at, p.updated_at,
  a.display_name AS author FROM posts p LEFT JOIN authors a ON a.id = p.author_id
  WHERE p.kind = 'post' AND p.status = 'published' AND p.published_at <= ?
  ORDER BY p.published_at DESC, p.id DESC LIMIT ?"""
INSERT = """INSERT INTO comments (post_id, parent_id, author_name, author_email, author_website,
  body, fingerprint, body_html, render_key, status, reason, ip, form_key, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'approved', '', ?, ?, ?)"""


def _now() -> str:
    """The current UTC time as Causerie stores it (naive, ISO with a space)."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(" ")


def stored(html: str) -> Markup:
    """HTML that Causerie rendered and sanitized before storing it, as templates take it."""
    return Markup(html)  # noqa: S704 (sanitized by Causerie's renderer)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def iter_pages(page: int, pages: int):
    """Page numbers for the pagination links, None for a gap (Flask-SQLAlchemy's defaults)."""
    end = pages + 1
    if end == 1:
        return
    left_end = min(3, end)
    yield from range(1, left_end)
    if left_end == end:
        return
    mid_start, mid_end = max(left_end, page - 2), min(page + 5, end)
    if mid_start > left_end:
        yield None
    yield from range(mid_start, mid_end)
    if mid_end == end:
        return
    right_start = max(mid_end, end - 2)
    if right_start > mid_end:
        yield None
    yield from range(right_start, end)


class Page:
    """One page of a listing: what the pagination links need."""

    def __init__(self, page: int, per_page: int, total: int) -> None:
        self.page, self.per_page, self.total = page, per_page, total
        self.pages = max(1, math.ceil(total / per_page)) if total else 0
        self.has_prev, self.has_next = page > 1, page < self.pages
        self.prev_num, self.next_num = page - 1, page + 1
        self.links = list(iter_pages(page, self.pages)) if self.pages > 1 else []


class Lean:
    """The reference's state: its database, secret, templates and catalogues."""

    def __init__(self, database: str, secret: str, comments_per_page: int = 20) -> None:
        self.database = database
        self.key = hashlib.sha256(b"causerie comment-form\0" + secret.encode()).digest()
        self.comments_per_page = comments_per_page
        self.local = threading.local()
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=False,
        )
        self.env.filters.update(isodate=self.isodate)
        self.language = ""  # the catalogue installed in the templates

    # --- plumbing ------------------------------------------------------------------------

    def db(self) -> sqlite3.Connection:
        """One connection per thread, kept open, with Causerie's pragmas."""
        connection = getattr(self.local, "db", None)
        if connection is None:
            connection = sqlite3.connect(self.database, timeout=30, isolation_level=None)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            self.local.db = connection
        return connection

    @functools.lru_cache(maxsize=4)  # noqa: B019 (one Lean per process)
    def translations(self, language: str) -> gettext.NullTranslations:
        return gettext.translation("messages", CATALOGUES, [language], fallback=True)

    def template(self, name: str, language: str):
        if self.language != language:
            self.env.install_gettext_translations(self.translations(language), newstyle=True)
            self.language = language
        return self.env.get_template(name)

    @staticmethod
    def isodate(value: datetime | None) -> str:
        return value.isoformat(timespec="seconds") + "Z" if value else ""

    def dates(self, site: sqlite3.Row):
        """The date and date-and-time writers of the site's language and zone."""
        months, zone = MONTHS[site["language"]], ZoneInfo(site["timezone"])
        at = self.translations(site["language"]).gettext("%(date)s at %(time)s")

        def date(value: datetime) -> str:
            local = value.replace(tzinfo=UTC).astimezone(zone)
            return f"{local.day} {months[local.month - 1]} {local.year}"

        def datetime_(value: datetime) -> str:
            local = value.replace(tzinfo=UTC).astimezone(zone)
            day = f"{local.day} {months[local.month - 1]} {local.year}"
            return at % {"date": day, "time": f"{local.hour:02d}:{local.minute:02d}"}

        return date, datetime_

    def sign(self, post_id: int) -> str:
        """A comment-form token as Causerie signs it (the bench's comment load makes its own)."""
        message = f"{post_id}.{int(time.time())}.{secrets.token_urlsafe(6)}"
        return f"{message}.{self.signature(message)}"

    def signature(self, message: str) -> str:
        digest = hmac.new(self.key, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def token_post(self, token: str) -> int | None:
        message, _dot, signature = token.rpartition(".")
        post_id, _dot, rest = message.partition(".")
        issued_at = rest.partition(".")[0]
        if not (post_id.isdigit() and issued_at.isdigit()) or len(token) > 200:
            return None
        if not hmac.compare_digest(signature, self.signature(message)):
            return None
        if time.time() - int(issued_at) > TOKEN_MAX_AGE:
            return None
        return int(post_id)

    def common(self, db: sqlite3.Connection, now: str) -> dict:
        site = db.execute(SETTINGS).fetchone()
        date, datetime_ = self.dates(site)
        return {
            "site": site,
            "nav": db.execute(NAV, (now,)).fetchall(),
            "og_locale": OG_LOCALES.get(site["language"], site["language"]),
            "root": request.host_url.rstrip("/"),
            "date": date,
            "datetime": datetime_,
            "typeset": lambda text: typeset_text(text, site["language"]),
        }

    def listed(self, db: sqlite3.Connection, now: str, per_page: int, tag_id: int | None):
        """One page of the posts list with their tags and comment counts (?page=N)."""
        number = _page_number()
        where, args = (WITH_TAG, (tag_id,)) if tag_id is not None else ("", ())
        total = db.execute(LISTED_COUNT.format(where), (now, *args)).fetchone()[0]
        page = Page(number, per_page, total)
        if number > 1 and number > page.pages:
            abort(404)
        rows = db.execute(
            LISTED.format(where), (now, *args, per_page, (number - 1) * per_page)
        ).fetchall()
        tags: dict[int, list] = {row["id"]: [] for row in rows}
        if rows:
            marks = ",".join("?" * len(rows))
            for tag in db.execute(TAGS_OF.format(marks), list(tags)):
                tags[tag["post_id"]].append(tag)
        posts = [
            dict(
                row,
                published_at=_when(row["published_at"]),
                tags=tags[row["id"]],
                excerpt=stored(row["excerpt_html"]),
            )
            for row in rows
        ]
        return page, posts

    # --- pages ---------------------------------------------------------------------------

    def post_page(self, slug: str):
        db, now = self.db(), _now()
        post = db.execute(POST, (slug, now)).fetchone()
        if post is None:
            abort(404)
        context = self.common(db, now)
        site = context["site"]
        total = db.execute(COUNT, (post["id"],)).fetchone()[0]
        per_page = self.comments_per_page
        number = _page_number()
        page = Page(number, per_page, total)
        if number > max(1, page.pages):
            abort(404)
        first = (number - 1) * per_page + 1
        rows = db.execute(COMMENTS, (post["id"], per_page, first - 1)).fetchall()
        numbers = {row["id"]: first + i for i, row in enumerate(rows)}
        elsewhere = {r["parent_id"] for r in rows if r["parent_id"]} - numbers.keys()
        if elsewhere:
            query = NUMBERS.format(",".join("?" * len(elsewhere)))
            numbers |= dict(db.execute(query, (post["id"], *elsewhere)).fetchall())
        published = _when(post["published_at"])
        days = site["close_comments_after_days"]
        is_open = bool(site["comments_open"] and post["allow_comments"]) and not (
            days > 0 and published < datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
        )
        comments = []
        for row in rows:
            parent = None
            if row["parent_id"] in numbers:
                parent_number = numbers[row["parent_id"]]
                parent_page = (parent_number - 1) // per_page + 1
                anchor = f"#comment-{row['parent_id']}"
                if parent_page != number:
                    anchor = (
                        f"/posts/{slug}/"
                        + (f"?page={parent_page}" if parent_page > 1 else "")
                        + anchor
                    )
                parent = (parent_number, anchor)
            website = row["author_website"]
            comments.append(
                {
                    "id": row["id"],
                    "number": first + len(comments),
                    "author": row["author_name"],
                    "website": website if website.startswith(("http://", "https://")) else "",
                    "by_author": row["author_id"] is not None,
                    "created_at": _when(row["created_at"]),
                    "html": stored(row["body_html"]),
                    "parent": parent,
                }
            )
        path = f"/posts/{slug}/"
        context |= {
            "post": post,
            "title": post["title"],
            "published_at": published,
            "body": stored(post["body_html"]),
            "tags": db.execute(POST_TAGS, (post["id"],)).fetchall(),
            "reading_minutes": max(1, (post["word_count"] + 100) // 200),
            "canonical": context["root"] + path + (f"?page={number}" if number > 1 else ""),
            "path": path,
            "comments": comments,
            "count": total,
            "page": page,
            "page_arg": f"page={number}&" if number > 1 else "",
            "href": lambda n: (f"./?page={n}" if n > 1 else "./") + "#comments",
            "is_open": is_open,
            "token": self.sign(post["id"]) if is_open else "",
        }
        return self.template("post.html", site["language"]).render(context)

    def listing(self, tag_slug: str | None = None):
        db, now = self.db(), _now()
        tag = None
        if tag_slug is not None:
            tag = db.execute(TAG, (tag_slug,)).fetchone()
            if tag is None:
                abort(404)
        context = self.common(db, now)
        page, posts = self.listed(
            db, now, context["site"]["posts_per_page"], tag["id"] if tag else None
        )
        if tag is not None and not posts:
            abort(404)
        path = request.path
        context |= {
            "tag": tag,
            "page": page,
            "posts": posts,
            "path": path,
            "href": lambda n: f"{path}?page={n}",
            "canonical": context["root"] + path + (f"?page={page.page}" if page.page > 1 else ""),
        }
        return self.template("list.html", context["site"]["language"]).render(context)

    def feed(self):
        db, now = self.db(), _now()
        site = db.execute(SETTINGS).fetchone()
        rows = db.execute(FEED, (now, FEED_SIZE)).fetchall()
        tags: dict[int, list] = {row["id"]: [] for row in rows}
        if rows:
            for tag in db.execute(TAGS_OF.format(",".join("?" * len(rows))), list(tags)):
                tags[tag["post_id"]].append(tag)
        posts = [
            dict(row, published_at=_when(row["published_at"]),
                 updated_at=_when(row["updated_at"]), tags=tags[row["id"]])
            for row in rows
        ]  # fmt: skip
        xml = self.template("feed.xml", site["language"]).render(
            site=site, posts=posts, root=request.host_url.rstrip("/")
        )
        return Response(xml, mimetype="application/atom+xml")

    def comment(self, slug: str):
        """The comment POST: the signed form checked, the text rendered, one INSERT."""
        db, form = self.db(), request.form
        post = db.execute(POST_ID, (slug, _now())).fetchone()
        if post is None:
            abort(404)
        if self.token_post(form.get("token", "")) != post["id"] or form.get("subject"):
            abort(400)
        name = " ".join(form.get("name", "").split())[:NAME_MAX]
        body = form.get("body", "").replace("\r\n", "\n").strip()
        email = form.get("email", "").strip().lower()[:EMAIL_MAX]
        website = form.get("website", "").strip()[:WEBSITE_MAX]
        if not name or not body or len(body) > BODY_MAX:
            abort(400)
        html = render_comment(body, "fr")
        fingerprint = hashlib.sha256(" ".join(body.split()).casefold().encode()).hexdigest()
        network = request.remote_addr or ""
        form_key = hashlib.sha256(f"{network}\0{form['token']}".encode()).hexdigest()
        cursor = db.execute(
            INSERT,
            (post["id"], None, name, email, website, body, fingerprint, html, "lean", network,
             form_key, _now()),
        )  # fmt: skip
        return redirect(f"/posts/{slug}/#comment-{cursor.lastrowid}", 303)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 0 < int(raw) < 10**6:
        abort(404)
    return int(raw)


def create(database: str, secret: str, *, comments_per_page: int = 20) -> Flask:
    """The reference app on `database`, signing comment forms with `secret`."""
    lean = Lean(database, secret, comments_per_page)
    app = Flask(__name__)
    app.extensions["lean"] = lean
    app.add_url_rule("/", "index", lambda: lean.listing())
    app.add_url_rule("/tags/<slug>/", "tag", lambda slug: lean.listing(slug))
    app.add_url_rule("/feed.xml", "feed", lean.feed)
    app.add_url_rule("/posts/<slug>/", "post", lean.post_page)
    app.add_url_rule("/posts/<slug>/comments", "comment", lean.comment, methods=["POST"])
    return app


def copy_database(source: str, target: str) -> None:
    """A consistent copy of a SQLite database (its WAL included), for the reference to use."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


def from_instance(instance: str | Path, *, comments_per_page: int = 20) -> Flask:
    """The reference on the bench instance's copy of the database (lean.sqlite3), with its key."""
    instance = Path(instance)
    secret = runpy.run_path(str(instance / "config.py"))["SECRET_KEY"]
    return create(str(instance / "lean.sqlite3"), secret, comments_per_page=comments_per_page)
