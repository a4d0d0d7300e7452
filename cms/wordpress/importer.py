"""Import a WordPress export in one transaction: posts, pages, authors, tags, comments and
their old addresses."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import select

from .. import markup
from ..clock import utcnow
from ..extensions import db
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
    unusable_password_hash,
)
from ..posts import post_url, render, render_key, tags_named, unique_slug
from ..redirects import normalise_path, path_of_url
from .content import comment_source, post_source
from .parser import parse_wxr
from .records import WXRAuthor, WXRComment, WXRExport, WXRItem
from .report import ImportReport

_COMMENT_STATUS = {"approved": APPROVED, "pending": PENDING, "spam": SPAM}
UNCATEGORIZED = "uncategorized"


def import_wxr(source: str | Path | bytes, *, dry_run: bool = False) -> ImportReport:
    """Import a WordPress export in one transaction, committed unless dry_run.

    Raises WXRError for a file that cannot be read (nothing is touched), and rolls everything
    back on any other error. Items and comments imported before (same site, same WordPress id)
    are left as they are, so importing a file twice creates nothing the second time.
    """
    export = parse_wxr(source)
    language = site_settings().language  # may create the settings row: before the import starts
    try:
        report = _Importer(export, language).run()
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return report


class _Importer:
    def __init__(self, export: WXRExport, language: str) -> None:
        self.export = export
        self.language = language
        self.site = export.site_url or export.site_title
        self.base_path = urlsplit(export.site_url).path
        self.report = ImportReport(site_title=export.site_title, site_url=export.site_url)
        self.report.skipped.extend(export.skipped)

    def post_key(self, item: WXRItem) -> str:
        return f"wxr:{self.site}#{item.wp_id}"[:300]

    def comment_key(self, comment: WXRComment) -> str:
        return f"wxr:{self.site}#comment-{comment.wp_id}"[:300]

    def run(self) -> ImportReport:
        prefix = f"wxr:{self.site}#"
        # Everything looked up once here, so the loop below makes no query per item.
        self.posts = {
            post.import_key: post
            for post in db.session.scalars(
                select(Post).where(Post.import_key.startswith(prefix, autoescape=True))
            )
        }
        self.comments = {
            comment.import_key: comment
            for comment in db.session.scalars(
                select(Comment).where(Comment.import_key.startswith(prefix, autoescape=True))
            )
        }
        self.slugs = set(db.session.scalars(select(Post.slug)))
        self.old_paths = set(db.session.scalars(select(Redirect.old_path)))
        self.authors = self._authors()
        self.tags = self._tags()

        for item in self.export.items:
            post = self.posts.get(self.post_key(item))
            if post is None:
                post = self._add_post(item)
            else:
                self.report.skipped.append((_label(item), "it was imported before"))
            self._add_comments(item, post)
        db.session.flush()
        return self.report

    def _authors(self) -> dict[str, Author]:
        """Authors of the export by login, matched to existing ones by username (any case)."""
        existing = {
            author.username.lower(): author for author in db.session.scalars(select(Author))
        }
        known = {wordpress_login(author.login): author for author in self.export.authors}
        for item in self.export.items:
            login = wordpress_login(item.author_login)
            if login and login not in known:
                known[login] = WXRAuthor(login, "", login)
        authors = {}
        for login, wxr_author in known.items():
            username = login[:USERNAME_MAX]
            if not username:
                continue
            author = existing.get(username.lower())
            if author is not None:
                self.report.authors_matched.append(author.username)
            else:
                author = Author(
                    username=username,
                    display_name=(wxr_author.display_name or username)[:DISPLAY_NAME_MAX],
                    password_hash=unusable_password_hash(),
                )
                db.session.add(author)
                existing[username.lower()] = author
                self.report.authors_created.append(username)
            authors[login] = author
        return authors

    def _tags(self) -> dict[str, Tag]:
        """Every tag the new items need, by slug; created when missing ("Uncategorized" is not)."""
        names = [
            name
            for item in self.export.items
            for name in item.tags
            if slugify(name) != UNCATEGORIZED
        ]
        tags = {tag.slug: tag for tag in tags_named(names)}
        self.report.tags_created += sum(tag.id is None for tag in tags.values())
        return tags

    def _add_post(self, item: WXRItem) -> Post:
        title = markup.plain_text(item.title)[:TITLE_MAX]
        slug = unique_slug(base_slug(item, title), page=item.kind == "page", taken=self.slugs)
        title = title or slug.replace("-", " ").capitalize()
        date = item.date_gmt or utcnow()
        post = Post(
            title=title,
            slug=slug,
            body=post_source(item.content_html, self.language),
            kind=PAGE if item.kind == "page" else POST,
            status=DRAFT if item.status == "draft" else PUBLISHED,
            published_at=None if item.status == "draft" else date,
            created_at=date,
            updated_at=date,
            allow_comments=item.comments_open,
            author=self.authors.get(wordpress_login(item.author_login)),
            import_key=self.post_key(item),
        )
        tag_slugs = dict.fromkeys(slugify(name) for name in item.tags)  # in order, once each
        post.tags = [self.tags[slug] for slug in tag_slugs if slug in self.tags]
        render(post, self.language)
        db.session.add(post)
        db.session.flush()  # the post's id, for its redirects and comments
        self.posts[post.import_key] = post
        if item.kind == "page":
            self.report.pages += 1
        else:
            self.report.posts += 1
        self.report.states[item.status] += 1
        self.report.closed += not item.comments_open
        self._add_redirects(item, post)
        return post

    def _add_redirects(self, item: WXRItem, post: Post) -> None:
        """The item's old permalink, and /?p=ID (/?page_id=ID for pages), point to the post."""
        paths = {path_of_url(item.link)} if item.link else set()
        paths.add(normalise_path(self.base_path, {"p": str(item.wp_id)}))
        if item.kind == "page":
            paths.add(normalise_path(self.base_path, {"page_id": str(item.wp_id)}))
        paths.discard("/")
        paths.discard(normalise_path(post_url(post)))
        for path in sorted(paths - self.old_paths):
            if len(path) <= 500:
                db.session.add(Redirect(old_path=path, post_id=post.id))
                self.old_paths.add(path)
                self.report.redirects += 1

    def _add_comments(self, item: WXRItem, post: Post) -> None:
        added: list[tuple[Comment, WXRComment]] = []
        by_wp_id: dict[int, Comment] = {}
        for wxr_comment in item.comments:
            key = self.comment_key(wxr_comment)
            existing = self.comments.get(key)
            if existing is not None:
                by_wp_id[wxr_comment.wp_id] = existing
                continue
            label = f"comment {wxr_comment.wp_id} on {_label(item)}"
            if wxr_comment.kind != "comment":
                self.report.skipped.append((label, f"{wxr_comment.kind}s are not imported"))
                continue
            if wxr_comment.status == "trash":
                self.report.skipped.append((label, "it was in the trash"))
                continue
            body = comment_source(wxr_comment.body)
            comment = Comment(
                post=post,
                author_name=wxr_comment.author[:COMMENT_NAME_MAX],
                author_email=wxr_comment.email.lower()[:COMMENT_EMAIL_MAX],
                author_website=wxr_comment.url[:COMMENT_WEBSITE_MAX],
                body=body,
                body_html=markup.render_comment(body, self.language),
                render_key=render_key(self.language),
                status=_COMMENT_STATUS[wxr_comment.status],
                ip=wxr_comment.ip[:IP_MAX],
                created_at=wxr_comment.date_gmt,
                import_key=key,
            )
            db.session.add(comment)
            self.comments[key] = comment
            by_wp_id[wxr_comment.wp_id] = comment
            added.append((comment, wxr_comment))
            self.report.comments[comment.status] += 1
        # Parents are set once every comment of the item exists: a reply may come before them.
        for comment, wxr_comment in added:
            parent = by_wp_id.get(wxr_comment.parent_wp_id or 0)
            if parent is not None:
                comment.parent = parent
                self.report.replies += 1


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
