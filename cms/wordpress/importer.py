"""Import a WordPress export: posts, pages, authors, tags, comments and their old addresses, all
rendered first and then written in one short transaction."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import bindparam, insert, select, update

from .. import markup
from ..clock import utcnow
from ..extensions import db
from ..kernel.database import reading_only, writing
from ..kernel.settings import site_settings
from ..kernel.text import slugify
from ..models import (
    APPROVED,
    COMMENT_EMAIL_MAX,
    COMMENT_NAME_MAX,
    COMMENT_WEBSITE_MAX,
    DISPLAY_NAME_MAX,
    DRAFT,
    IP_MAX,
    PAGE,
    PENDING,
    POST,
    PUBLISHED,
    SPAM,
    TITLE_MAX,
    USERNAME_MAX,
    Author,
    Comment,
    Post,
    Redirect,
    Tag,
    body_fingerprint,
    post_tags,
    unusable_password_hash,
)
from ..posts import is_reserved_page_slug, post_url, render, render_key, unique_slug
from ..posts.tags import tag_name
from ..redirects import normalise_path, path_of_url
from .content import comment_source, post_source
from .parser import parse_wxr
from .records import WXRAuthor, WXRComment, WXRExport, WXRItem
from .report import ImportReport

_COMMENT_STATUS = {"approved": APPROVED, "pending": PENDING, "spam": SPAM}
UNCATEGORIZED = "uncategorized"
# The fields of a post that rendering fills in, copied from the rendered post to its row.
_RENDERED = ("body", "body_html", "excerpt_html", "summary", "has_more", "word_count", "render_key")

Progress = Callable[[Sequence[WXRItem]], AbstractContextManager[Iterable[WXRItem]]]


def import_wxr(
    source: str | Path | bytes, *, dry_run: bool = False, progress: Progress = nullcontext
) -> ImportReport:
    """Import a WordPress export, committed unless dry_run.

    Everything is parsed, sanitized, rendered and planned first, holding no lock (`progress`
    wraps the items as they are rendered: a progress bar); then one short transaction, holding
    the write lock from its first read, checks that what the plan rests on (slugs, authors,
    tags, what was imported before) is unchanged, plans again if not, and writes it all.
    Raises WXRError for a file that cannot be read (nothing is touched), and rolls everything
    back on any other error. Items and comments imported before (same site, same WordPress id)
    are left as they are, so importing a file twice creates nothing the second time. The
    report's write_seconds is how long the write transaction lasted, waiting for the lock
    included: what the site's own writers may have waited.
    """
    export = parse_wxr(source)
    with reading_only():
        language = site_settings().language
        db.session.rollback()  # no transaction stays open while rendering
    with progress(export.items) as items:
        prepared = [_prepare(item, language) for item in items]
    importer = _Importer(export, prepared, language)
    with reading_only():
        try:
            planned_on = importer.read_site()
        finally:
            db.session.rollback()
    importer.plan(planned_on)
    if dry_run:
        return importer.report
    started = time.monotonic()
    try:
        with writing():
            site = importer.read_site()
            if site != planned_on:  # written meanwhile: the plan may clash with it
                importer.plan(site)
            importer.write()
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    importer.report.write_seconds = time.monotonic() - started
    return importer.report


# --- before the transaction: everything that takes time -----------------------------------------


@dataclass(frozen=True)
class _PreparedComment:
    source: WXRComment
    body: str
    body_html: str


@dataclass(frozen=True)
class _PreparedItem:
    """An item as it will be stored, but for what depends on the database (slug, ids)."""

    item: WXRItem
    title: str
    base_slug: str
    rendered: dict[str, object]
    comments: tuple[_PreparedComment, ...]


def _prepare(item: WXRItem, language: str) -> _PreparedItem:
    title = markup.plain_text(item.title)[:TITLE_MAX]
    # Rendered by the posts feature's own rule, on a post that never enters the session.
    post = Post(body=post_source(item.content_html, language))
    render(post, language)
    comments = []
    for wxr_comment in item.comments:
        body = comment_source(wxr_comment.body) if wxr_comment.kind == "comment" else ""
        html = markup.render_comment(body, language) if body else ""
        comments.append(_PreparedComment(wxr_comment, body, html))
    return _PreparedItem(
        item=item,
        title=title,
        base_slug=base_slug(item, title),
        rendered={name: getattr(post, name) for name in _RENDERED},
        comments=tuple(comments),
    )


# --- the transaction ---------------------------------------------------------------------------


@dataclass
class _Rows:
    """What the transaction inserts. Rows point to authors, tags and posts by their place in
    these lists until the inserts give them ids."""

    authors: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    posts: list[dict] = field(default_factory=list)
    post_tags: list[tuple[int, int | str]] = field(default_factory=list)  # (post, tag)
    redirects: list[tuple[int, str]] = field(default_factory=list)  # (post, old path)
    comments: list[dict] = field(default_factory=list)
    # (comment, parent): a place in `comments`, or the id of a comment imported before.
    parents: list[tuple[int, int | str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Site:
    """What the site holds that an import plan depends on."""

    posts: dict[str, int]  # import key -> id, of posts imported from this site before
    comments: dict[str, int]  # the same for comments
    slugs: frozenset[str]
    old_paths: frozenset[str]
    authors: dict[str, tuple[int, str]]  # lowercased username -> (id, username)
    tags: dict[str, int]  # slug -> id, of the export's tags that exist


class _Importer:
    def __init__(self, export: WXRExport, prepared: list[_PreparedItem], language: str) -> None:
        self.export = export
        self.prepared = prepared
        self.language = language
        self.site = export.site_url or export.site_title
        self.base_path = urlsplit(export.site_url).path
        self.key = render_key(language)
        # The tags of the export by slug, each named by its first spelling ("Uncategorized" is
        # not one: WordPress puts every post there).
        self.wanted_tags: dict[str, str] = {}
        for item in export.items:
            for name in item.tags:
                slug = slugify(name)
                if slug and slug != UNCATEGORIZED:
                    self.wanted_tags.setdefault(slug, tag_name(name))

    def post_key(self, item: WXRItem) -> str:
        return f"wxr:{self.site}#{item.wp_id}"[:300]

    def comment_key(self, comment: WXRComment) -> str:
        return f"wxr:{self.site}#comment-{comment.wp_id}"[:300]

    def read_site(self) -> _Site:
        """What the site holds that the plan depends on: a few queries."""
        prefix = f"wxr:{self.site}#"
        posts = select(Post.import_key, Post.id).where(
            Post.import_key.startswith(prefix, autoescape=True)
        )
        comments = select(Comment.import_key, Comment.id).where(
            Comment.import_key.startswith(prefix, autoescape=True)
        )
        authors = select(Author.id, Author.username)
        return _Site(
            posts=dict(db.session.execute(posts).all()),
            comments=dict(db.session.execute(comments).all()),
            slugs=frozenset(db.session.scalars(select(Post.slug))),
            old_paths=frozenset(db.session.scalars(select(Redirect.old_path))),
            authors={name.lower(): (id_, name) for id_, name in db.session.execute(authors)},
            tags=dict(
                db.session.execute(
                    select(Tag.slug, Tag.id).where(Tag.slug.in_(self.wanted_tags))
                ).all()
            ),
        )

    def plan(self, site: _Site) -> None:
        """Decide every row to insert into a site holding `site`: the report is complete once
        this returns. Reads nothing."""
        self.report = ImportReport(site_title=self.export.site_title, site_url=self.export.site_url)
        self.report.skipped.extend(self.export.skipped)
        self.rows = _Rows()
        self.posts: dict[str, int | str] = dict(site.posts)
        self.comments: dict[str, int | str] = dict(site.comments)
        self.slugs = set(site.slugs)
        self.old_paths = set(site.old_paths)
        self.authors = self._authors(dict(site.authors))
        self.tags = self._tags(site.tags)
        for prepared in self.prepared:
            key = self.post_key(prepared.item)
            post = self.posts.get(key)
            if post is None:
                post = self._add_post(prepared)
            else:
                self.report.skipped.append((_label(prepared.item), "it was imported before"))
            self._add_comments(prepared, post)

    def _authors(self, existing: dict[str, tuple[int | str, str]]) -> dict[str, int | str]:
        """Authors of the export by login, matched to existing ones by username (any case)."""
        known = {wordpress_login(author.login): author for author in self.export.authors}
        for item in self.export.items:
            login = wordpress_login(item.author_login)
            if login and login not in known:
                known[login] = WXRAuthor(login, "", login)
        authors: dict[str, int | str] = {}
        for login, wxr_author in known.items():
            username = login[:USERNAME_MAX]
            if not username:
                continue
            if username.lower() in existing:
                author_id, stored_name = existing[username.lower()]
                self.report.authors_matched.append(stored_name)
            else:
                author_id = f"new:{len(self.rows.authors)}"
                self.rows.authors.append(
                    {
                        "username": username,
                        "display_name": (wxr_author.display_name or username)[:DISPLAY_NAME_MAX],
                        "password_hash": unusable_password_hash(),
                    }
                )
                existing[username.lower()] = (author_id, username)
                self.report.authors_created.append(username)
            authors[login] = author_id
        return authors

    def _tags(self, existing: dict[str, int]) -> dict[str, int | str]:
        """Every tag the new items need, by slug; created when missing."""
        tags: dict[str, int | str] = dict(existing)
        for slug, name in self.wanted_tags.items():
            if slug not in tags:
                tags[slug] = f"new:{len(self.rows.tags)}"
                self.rows.tags.append({"name": name, "slug": slug})
        self.report.tags_created += len(self.rows.tags)
        return tags

    def _add_post(self, prepared: _PreparedItem) -> str:
        item = prepared.item
        slug = unique_slug(prepared.base_slug, page=item.kind == "page", taken=self.slugs)
        if item.kind == "page" and is_reserved_page_slug(prepared.base_slug):
            self.report.pages_moved.append((prepared.base_slug, slug))
        date = item.date_gmt or utcnow()
        place = f"new:{len(self.rows.posts)}"
        row = {
            "title": prepared.title or slug.replace("-", " ").capitalize(),
            "slug": slug,
            **prepared.rendered,
            "kind": PAGE if item.kind == "page" else POST,
            "status": DRAFT if item.status == "draft" else PUBLISHED,
            "published_at": None if item.status == "draft" else date,
            "created_at": date,
            "updated_at": date,
            "allow_comments": item.comments_open,
            "author_id": self.authors.get(wordpress_login(item.author_login)),
            "import_key": self.post_key(item),
        }
        self.rows.posts.append(row)
        tag_slugs = dict.fromkeys(slugify(name) for name in item.tags)  # in order, once each
        self.rows.post_tags += [(place, self.tags[slug]) for slug in tag_slugs if slug in self.tags]
        self.posts[row["import_key"]] = place
        if item.kind == "page":
            self.report.pages += 1
        else:
            self.report.posts += 1
        self.report.states[item.status] += 1
        self.report.closed += not item.comments_open
        self._add_redirects(item, place, Post(kind=row["kind"], slug=slug))
        return place

    def _add_redirects(self, item: WXRItem, place: str, post: Post) -> None:
        """The item's old permalink, and /?p=ID (/?page_id=ID for pages), point to the post."""
        paths = {path_of_url(item.link)} if item.link else set()
        paths.add(normalise_path(self.base_path, {"p": str(item.wp_id)}))
        if item.kind == "page":
            paths.add(normalise_path(self.base_path, {"page_id": str(item.wp_id)}))
        paths.discard("/")
        paths.discard(normalise_path(post_url(post)))
        for path in sorted(paths - self.old_paths):
            if len(path) <= 500:
                self.rows.redirects.append((place, path))
                self.old_paths.add(path)
                self.report.redirects += 1

    def _add_comments(self, prepared: _PreparedItem, post: int | str) -> None:
        added: list[tuple[int, WXRComment]] = []
        by_wp_id: dict[int, int | str] = {}
        for comment in prepared.comments:
            wxr_comment = comment.source
            key = self.comment_key(wxr_comment)
            existing = self.comments.get(key)
            if existing is not None:
                by_wp_id[wxr_comment.wp_id] = existing
                continue
            label = f"comment {wxr_comment.wp_id} on {_label(prepared.item)}"
            if wxr_comment.kind != "comment":
                self.report.skipped.append((label, f"{wxr_comment.kind}s are not imported"))
                continue
            if wxr_comment.status == "trash":
                self.report.skipped.append((label, "it was in the trash"))
                continue
            status = _COMMENT_STATUS[wxr_comment.status]
            place = len(self.rows.comments)
            self.rows.comments.append(
                {
                    "post_id": post,
                    "author_name": wxr_comment.author[:COMMENT_NAME_MAX],
                    "author_email": wxr_comment.email.lower()[:COMMENT_EMAIL_MAX],
                    "author_website": wxr_comment.url[:COMMENT_WEBSITE_MAX],
                    "body": comment.body,
                    "fingerprint": body_fingerprint(comment.body),
                    "body_html": comment.body_html,
                    "render_key": self.key,
                    "status": status,
                    "ip": wxr_comment.ip[:IP_MAX],
                    "created_at": wxr_comment.date_gmt,
                    "import_key": key,
                }
            )
            self.comments[key] = f"new:{place}"
            by_wp_id[wxr_comment.wp_id] = f"new:{place}"
            added.append((place, wxr_comment))
            self.report.comments[status] += 1
        # Parents are set once every comment of the item is known: a reply may come before them.
        for place, wxr_comment in added:
            parent = by_wp_id.get(wxr_comment.parent_wp_id or 0)
            if parent is not None:
                self.rows.parents.append((place, parent))
                self.report.replies += 1

    def write(self) -> None:
        """Insert the planned rows: one statement per table (many rows each), in the session's
        transaction; the caller commits."""
        rows = self.rows
        author_ids = _insert_all(Author, rows.authors)
        tag_ids = _insert_all(Tag, rows.tags)
        for row in rows.posts:
            row["author_id"] = author_ids.get(row["author_id"], row["author_id"])
        post_ids = _insert_all(Post, rows.posts)
        if rows.post_tags:
            db.session.execute(
                insert(post_tags),
                [
                    {"post_id": post_ids[post], "tag_id": tag_ids.get(tag, tag)}
                    for post, tag in rows.post_tags
                ],
            )
        if rows.redirects:
            db.session.execute(
                insert(Redirect),
                [{"post_id": post_ids[post], "old_path": path} for post, path in rows.redirects],
            )
        for row in rows.comments:
            row["post_id"] = post_ids.get(row["post_id"], row["post_id"])
        comment_ids = _insert_all(Comment, rows.comments)
        if rows.parents:
            table = Comment.__table__
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("comment_id"))
                .values(parent_id=bindparam("parent")),
                [
                    {
                        "comment_id": comment_ids[f"new:{place}"],
                        "parent": comment_ids.get(parent, parent),
                    }
                    for place, parent in rows.parents
                ],
            )


def _insert_all(model, records: list[dict]) -> dict[str, int]:
    """Insert the rows in one statement; the new ids by the rows' places ("new:0", "new:1"...)."""
    if not records:
        return {}
    # The table's own INSERT, not the ORM's bulk one: the rows are complete, and it is faster.
    table = model.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    new_ids = db.session.scalars(statement, records).all()
    return {f"new:{place}": new_id for place, new_id in enumerate(new_ids)}


def wordpress_login(value: str) -> str:
    """A WordPress login as WordPress allows it: letters, digits, spaces and _ . - @ only.
    Exports carry stray characters now and then (">admin" in a dc:creator)."""
    return re.sub(r"[^\w .@-]", "", value, flags=re.ASCII).strip()


def base_slug(item: WXRItem, title: str) -> str:
    """The item's slug as an address of ours: WordPress's own (percent-decoded, accents folded),
    else one made from the title. A slug with no letter left (Greek "επίπεδο-2" folds to "2")
    gives way to the title's; with nothing at all, "post-123"."""
    candidates = [slugify(unquote(item.slug)), slugify(title)]
    with_letters = [slug for slug in candidates if re.search("[a-z]", slug)]
    return next(
        iter(with_letters + [slug for slug in candidates if slug]), f"{item.kind}-{item.wp_id}"
    )


def _label(item: WXRItem) -> str:
    title = markup.plain_text(item.title)
    return f"{item.kind} '{title}' (id {item.wp_id})" if title else f"{item.kind} (id {item.wp_id})"
