"""A small French site shaped like a real blog, for the theme's checks and the screenshots."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import Flask
from werkzeug.datastructures import FileStorage

from cms.clock import utcnow
from cms.comments.spam import FIRST_COMMENT, TOO_MANY_LINKS
from cms.comments.thread import earlier_names
from cms.comments.thread import render as render_comment
from cms.extensions import db
from cms.kernel.settings import site_settings
from cms.media import store_upload
from cms.models import APPROVED, DRAFT, PENDING, PUBLISHED, SPAM, Author, Comment, Post
from cms.posts import render, tags_named
from cms.revisions import record_revision, revisions_of

USERNAME = "camille"
PASSWORD = "une phrase de passe assez longue"
CLOSED_NOTICE = "Les commentaires sont fermés : la conversation continue par courriel, écrivez-moi."

POST_BODY = """\
Il y a des livres qu'on dévore et d'autres qu'on habite. Depuis un an, je lis une page par
matin, pas davantage, et cette contrainte minuscule a changé ma façon d'écrire.

<!--more-->

## Pourquoi ralentir ?

Lire vite, c'est survoler. Lire lentement, c'est entendre la phrase, sa respiration, ses
silences. Montaigne le disait mieux que moi :

> Je ne fais point de glose, je ne fais que conter.

On croit perdre du temps ; on en gagne, parce qu'on n'a plus besoin de relire.

### Ce que j'ai essayé

- un carnet ouvert à côté du livre, pour recopier une phrase par jour ;
- la lecture à voix haute, le soir, d'un paragraphe seulement ;
- un marque-page qui porte la date du jour, pour voir le chemin parcouru.

### Ce qui a tenu

1. Le carnet : trois cents phrases en un an, toutes relues.
2. La voix haute, mais le week-end seulement.
3. Rien d'autre, et c'est très bien ainsi.

## Écrire comme on lit

La même règle vaut pour l'écriture : **une page**, chaque jour, relue le lendemain. Les
[conseils de George Orwell](https://www.orwell.ru/library/essays/politics/english/e_polit/)
restent les meilleurs : couper chaque mot inutile, préférer le mot court au mot long.

Pour compter mes mots, un petit script suffit :

```python
def mots(texte: str) -> int:
    return len(texte.split())
```

## Et vous ?

Quelle est votre page du matin ? Dites-le-moi dans les commentaires[^1].

[^1]: Je réponds à chacun, parfois avec un peu de retard.
"""

CLOSED_BODY = """\
Un an de lectures lentes : les douze livres qui m'ont accompagné, mois après mois.

## Janvier à juin

*Les Essais*, puis *Walden*, puis trois recueils de poèmes lus une page à la fois.
"""

PAGE_BODY = """\
Je m'appelle Camille. J'écris ici sur la lecture lente, l'écriture quotidienne et les carnets.

Vous pouvez m'écrire à l'adresse indiquée en bas de chaque billet.
"""

COMMENTS = [
    (
        "Hélène",
        "Merci pour ce billet. Je lis Proust ainsi depuis septembre : une page, pas plus. "
        "J'avance lentement, mais je me souviens de tout.",
    ),
    (
        "Marc Dubois",
        "Le carnet est une très bonne idée. Est-ce que vous recopiez la phrase à la main, "
        "ou bien sur l'ordinateur ?",
    ),
    ("Camille", "@Marc Dubois à la main, toujours : c'est en recopiant qu'on lit vraiment."),
    (
        "Sofia",
        "Je vais essayer dès demain matin avec *Les Vagues* de Virginia Woolf. "
        "Une page, c'est une promesse qu'on peut tenir.",
    ),
]


@dataclass(frozen=True)
class SampleSite:
    """The ids of what the sample site holds, for building the addresses of its pages."""

    post_id: int
    post_slug: str
    closed_id: int
    closed_slug: str
    draft_id: int
    page_slug: str
    page_id: int
    tag_slug: str
    comment_id: int
    pending_id: int
    revision_id: int
    upload_id: int
    year: int
    month: int


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A small valid PNG in a warm colour, made without Pillow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xc0\x70\x40" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def add_post(author: Author, title: str, slug: str, body: str, **fields) -> Post:
    post = Post(title=title, slug=slug, body=body, author=author, **fields)
    render(post, "fr")
    db.session.add(post)
    db.session.flush()
    record_revision(post, author.id)
    return post


def add_comment(post: Post, name: str, body: str, when: datetime, **fields) -> Comment:
    """A comment rendered as posting renders it: Markdown, and an @name that links its parent."""
    comment = Comment(post_id=post.id, author_name=name, body=body, created_at=when, **fields)
    earlier = [(cid, cname) for cid, cname, _ in earlier_names(post.id)]
    mention = render_comment(comment, "fr", earlier)
    if mention is not None:
        comment.parent_id = mention.comment_id
    db.session.add(comment)
    db.session.flush()
    return comment


def build_sample_site(app: Flask) -> SampleSite:
    """Fill the app's empty database with the French sample site; returns what it holds."""
    with app.test_request_context():
        settings = site_settings()
        settings.title = "Carnet de lectures"
        settings.tagline = "Lire lentement, écrire chaque jour"
        settings.language = "fr"
        settings.timezone = "Europe/Paris"
        settings.closed_notice = CLOSED_NOTICE
        author = Author(username=USERNAME, display_name="Camille Roche")
        author.set_password(PASSWORD)
        db.session.add(author)
        db.session.flush()
        # Wide enough for narrower copies: the closed post shows it with its srcset.
        upload = store_upload(
            FileStorage(BytesIO(tiny_png(1400, 900)), filename="carnet.png"),
            author.id,
            "Un carnet ouvert sur une table",
        ).upload

        published = utcnow().replace(microsecond=0) - timedelta(days=3)
        tags = tags_named(["lecture", "écriture"])
        post = add_post(
            author,
            "Lire une page par jour",
            "lire-une-page-par-jour",
            POST_BODY,
            status=PUBLISHED,
            published_at=published,
            tags=tags,
        )
        closed = add_post(
            author,
            "Mes lectures de l'année",
            "mes-lectures-de-l-annee",
            CLOSED_BODY + f"\n![Mon carnet de l’année](/media/{upload.name})\n",
            status=PUBLISHED,
            published_at=published - timedelta(days=30),
            tags=tags[:1],
            allow_comments=False,
        )
        draft = add_post(
            author, "Notes sur Montaigne", "notes-sur-montaigne", "À suivre.", status=DRAFT
        )
        page = add_post(
            author,
            "À propos",
            "a-propos",
            PAGE_BODY,
            status=PUBLISHED,
            published_at=published,
            kind="page",
            nav_order=1,
        )
        # A second save of the post, so that its history has a revision to compare.
        post.body = POST_BODY.replace("pas davantage", "jamais davantage")
        render(post, "fr")
        record_revision(post, author.id)

        comments = [
            add_comment(
                post, name, body, published + timedelta(hours=2 + 5 * number), status=APPROVED
            )
            for number, (name, body) in enumerate(COMMENTS)
        ]
        comments[1].author_website = "https://example.org/marc"
        pending = add_comment(
            post,
            "Julien",
            "Et pour la poésie, une page, c'est parfois trop !",
            published + timedelta(days=1),
            status=PENDING,
            author_email="julien@example.org",
            reason=FIRST_COMMENT,
            ip="192.0.2.7",
        )
        add_comment(
            post,
            "Promo",
            "Achetez maintenant https://spam.example/",
            published + timedelta(days=2),
            status=SPAM,
            reason=f"{TOO_MANY_LINKS}:3",
            ip="198.51.100.9",
        )
        db.session.commit()
        first_revision = list(db.session.scalars(revisions_of(post)))[-1].id
        local = published.replace(tzinfo=UTC).astimezone(ZoneInfo(settings.timezone))
        return SampleSite(
            post_id=post.id,
            post_slug=post.slug,
            closed_id=closed.id,
            closed_slug=closed.slug,
            draft_id=draft.id,
            page_slug=page.slug,
            page_id=page.id,
            tag_slug=tags[0].slug,
            comment_id=comments[0].id,
            pending_id=pending.id,
            revision_id=first_revision,
            upload_id=upload.id,
            year=local.year,
            month=local.month,
        )


def public_pages(site: SampleSite) -> dict[str, str]:
    """Every page type a visitor reaches, by name: its address on the sample site."""
    return {
        "home": "/",
        "post": f"/posts/{site.post_slug}/",
        "post-closed": f"/posts/{site.closed_slug}/",
        "post-replying": f"/posts/{site.post_slug}/?replyto={site.comment_id}",
        "tag": f"/tags/{site.tag_slug}/",
        "archives": "/archive/",
        "archive-month": f"/archive/{site.year}/{site.month}/",
        "page": f"/{site.page_slug}/",
        "not-found": "/posts/nothing-here/",
        "login": "/login",
        "feeds": "/feeds/",
        "feeds-post": f"/feeds/?post={site.post_slug}",
    }


def editor_pages(site: SampleSite) -> dict[str, str]:
    """Every page type of the author's desk, by name: its address on the sample site."""
    return {
        "dashboard": "/editor/",
        # With its form's key, as the desk's "new" address sends every author on to.
        "new-post": "/editor/posts/new?form=sample-new-post-form-0001",
        "edit-post": f"/editor/posts/{site.post_id}/edit",
        "edit-draft": f"/editor/posts/{site.draft_id}/edit",
        "delete-post": f"/editor/posts/{site.post_id}/delete",
        "moderation": "/editor/comments",
        "moderation-approved": "/editor/comments?status=approved",
        "moderation-spam": "/editor/comments?status=spam",
        "edit-comment": f"/editor/comments/{site.pending_id}/edit",
        "delete-comment": f"/editor/comments/{site.pending_id}/delete",
        "settings": "/editor/settings",
        "account": "/editor/account",
        "media": "/editor/media",
        "delete-image": f"/editor/media/{site.upload_id}/delete",
        "describe-image": f"/editor/media/{site.upload_id}/description",
        "pages": "/editor/pages",
        "new-page": "/editor/pages/new?form=sample-new-page-form-0001",
        "revisions": f"/editor/posts/{site.post_id}/revisions",
        "revision": f"/editor/posts/{site.post_id}/revisions/{site.revision_id}",
        "restore": f"/editor/posts/{site.post_id}/revisions/{site.revision_id}/restore",
    }
