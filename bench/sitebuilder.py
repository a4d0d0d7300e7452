"""Builds the benchmark's site in a temporary instance folder, through the app's own models."""

from __future__ import annotations

import random
import runpy
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text

from cms import create_app
from cms import models as m
from cms.clock import utcnow
from cms.comments import tokens
from cms.extensions import db
from cms.markup import render_comment
from cms.posts import render, render_key

HERE = Path(__file__).resolve().parent
LANGUAGE = "fr"
MODEL_SLUG = "un-an-de-pain-au-levain"
BIG_SLUG = "le-billet-qui-a-fait-le-tour-du-web"
TAG_NAMES = [
    "Pain", "Levain", "Farine", "Cuisine", "Voyage", "Jardin", "Lecture", "Vélo", "Musique",
    "Photographie", "Montagne", "Enfants", "Bricolage", "Café", "Fromage", "Marché", "Saisons",
    "Outils", "Recettes", "Carnet", "Quartier", "Vacances", "Hiver", "Été",
]  # fmt: skip
BATCH = 5000

# Words for the other posts and the comments: varied enough that no two rows are the same text.
_SENTENCES = [
    "Le marché du samedi matin reste mon meilleur moment de la semaine",
    "J'ai enfin trouvé une farine de meule qui tient ses promesses",
    "La pâte a levé deux fois plus vite que prévu, la cuisine était trop chaude",
    "Un lecteur m'a envoyé une photo de sa première miche, elle est superbe",
    "Il faut parfois accepter qu'un pain raté nous apprenne plus qu'un pain réussi",
    "Le four du voisin chauffe mieux que le mien, je lui ai emprunté sa pierre",
    "Les enfants ont voulu façonner leurs propres petits pains, avec plus ou moins de succès",
    "La saison des tomates arrive et avec elle les tartines du soir",
    "J'ai relu mes notes de l'an dernier et j'ai souri devant tant d'erreurs",
    "Le moulin du village ouvre ses portes au public le premier dimanche du mois",
    "Une hydratation plus forte donne une mie plus ouverte mais une pâte plus collante",
    "Le vélo jusqu'à la ferme prend une heure, le retour chargé de farine un peu plus",
]
_COMMENTS = [
    "Merci pour ce billet, j'ai enfin compris pourquoi mes pains s'étalaient !",
    "Chez moi le levain a mis deux semaines à démarrer, ne perdez pas espoir.",
    "Vous avez essayé la farine de petit épeautre ? Elle change tout en goût.",
    "Je confirme pour le thermomètre : depuis que je mesure, plus de surprise.",
    "Superbe récit, ça donne envie de s'y mettre dès ce week-end.",
    "La cocotte en fonte est vraiment le secret d'une belle croûte.",
    "J'ajoute un peu de miel dans la pâte, la croûte colore encore mieux.",
    "Quelle patience ! Moi je craque toujours et je coupe le pain trop chaud.",
    "Le passage au froid est une révélation, merci pour l'astuce.",
    "Mes crackers aux restes de levain sont devenus le goûter préféré de la maison.",
    "Une question : combien de temps gardez-vous le levain sans le nourrir ?",
    "On voit [ici](https://example.org/photos/miche) ma dernière fournée, pas parfaite mais fière.",
]


@dataclass(frozen=True)
class Site:
    """What the benchmark needs to know about the site it built."""

    instance: str
    database: str  # the SQLite file, or the URI of another database
    model_slug: str
    model_post_id: int
    tag_slug: str
    posts: int
    comments: int
    big_slug: str | None = None
    big_post_id: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def token_maker(self, page_token: str) -> Callable[[], str]:
        """Makes new comment-form tokens for the post `page_token` was served for, as the site
        would sign them (the load sends one form per comment, as readers do)."""
        secret = runpy.run_path(str(Path(self.instance) / "config.py"))["SECRET_KEY"]
        refresh = tokens.refresher(secret)
        return lambda: refresh(page_token)


def _paragraphs(rng: random.Random, count: int) -> str:
    return "\n\n".join(
        ". ".join(rng.sample(_SENTENCES, rng.randint(3, 5))) + "." for _ in range(count)
    )


def _other_bodies(rng: random.Random, count: int) -> list[str]:
    bodies = []
    for n in range(count):
        items = "\n".join(f"- {s.lower()} ;" for s in rng.sample(_SENTENCES, 3))
        bodies.append(
            f"{_paragraphs(rng, 1)}\n\n<!--more-->\n\n## Notes du jour n° {n + 1}\n\n"
            f"{_paragraphs(rng, 2)}\n\n{items}\n\n[Le carnet complet](https://example.org/carnet/{n})."
        )
    return bodies


def write_instance_config(instance: Path, database_uri: str | None = None) -> str:
    """instance/config.py as `flask init` would write it, with the SQLite database next to it
    (its path is returned) or the database at database_uri (returned as it is)."""
    instance.mkdir(parents=True, exist_ok=True)
    database = database_uri or str(instance / "bench.sqlite3")
    (instance / "config.py").write_text(
        f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
        f"SQLALCHEMY_DATABASE_URI = {database_uri or 'sqlite:///' + database!r}\n",
        encoding="utf-8",
    )
    return database


def build_site(
    instance: Path,
    *,
    posts: int,
    big_comments: int = 0,
    model_comments: int = 50,
    seed: int = 6,
    database_uri: str | None = None,
) -> Site:
    """Build a French site: the model post with `model_comments` approved comments, `posts`
    other posts with tags and a few comments each, and, when `big_comments`, a post with that
    many comments. Bulk inserts, so 100,000 posts take about a minute. In SQLite next to the
    instance's config unless database_uri names another (empty) database: then build it without
    comments, whose explicit ids its sequence would not know of."""
    rng = random.Random(seed)  # noqa: S311 (reproducible filler text)
    database = write_instance_config(instance, database_uri)
    app = create_app(instance_path=instance)
    now = utcnow()
    with app.app_context():
        db.create_all()
        db.session.add(
            m.SiteSettings(
                id=1,
                title="Le carnet du boulanger",
                tagline="Pain, levain et autres lenteurs",
                language=LANGUAGE,
                timezone="Europe/Paris",
                # The write benchmark posts as many new commenters: nothing waits for moderation.
                moderate_first_comment=False,
            )
        )
        author = m.Author(username="camille", display_name="Camille Roux")
        author.set_password(secrets.token_urlsafe(16))
        db.session.add(author)
        tags = [m.Tag(name=name, slug=name.lower().replace("é", "e")) for name in TAG_NAMES]
        db.session.add_all(tags)
        db.session.flush()

        comment_pool = [(text, render_comment(text, LANGUAGE)) for text in _COMMENTS]
        key = render_key(LANGUAGE)
        next_comment_id = 1

        def comments_for(post_id: int, count: int, start, *, replies: bool) -> list[dict]:
            nonlocal next_comment_id
            rows = []
            for n in range(count):
                text, html = comment_pool[(post_id + n) % len(comment_pool)]
                body = f"{text} (n° {n + 1})"
                row = {
                    "id": next_comment_id,
                    "post_id": post_id,
                    "parent_id": None,
                    "author_name": f"Lectrice {n % 97 + 1}",
                    "author_email": f"lectrice{n % 97 + 1}@example.org",
                    "author_website": "",
                    "body": body,
                    "body_html": html.replace("</p>", f" (n° {n + 1})</p>", 1),
                    "render_key": key,
                    "status": m.APPROVED,
                    "created_at": start + timedelta(minutes=7 * n + 1),
                }
                if hasattr(m, "body_fingerprint"):
                    row["fingerprint"] = m.body_fingerprint(body)
                if replies and n % 6 == 5:
                    row["parent_id"] = rows[n - 2]["id"]
                rows.append(row)
                next_comment_id += 1
            return rows

        def add_post(post_id: int, title: str, slug: str, body: str, published, tag_ids) -> dict:
            post = m.Post(title=title, slug=slug, body=body)
            render(post, LANGUAGE)
            return _post_row(post, post_id, author.id, published, rng) | {"tag_ids": tag_ids}

        model = add_post(
            1,
            "Un an de pain au levain : ce que j'aurais aimé savoir",
            MODEL_SLUG,
            (HERE / "model-post.md").read_text(encoding="utf-8"),
            now - timedelta(days=2),
            [tags[0].id, tags[1].id, tags[2].id],
        )
        rows = [model]
        comment_rows = comments_for(1, model_comments, now - timedelta(days=2), replies=True)
        big_id = None
        if big_comments:
            big_id = 2
            rows.append(
                add_post(
                    big_id,
                    "Le billet qui a fait le tour du Web",
                    BIG_SLUG,
                    (HERE / "model-post.md").read_text(encoding="utf-8"),
                    now - timedelta(days=3),
                    [tags[0].id],
                )
            )
            comment_rows += comments_for(
                big_id, big_comments, now - timedelta(days=3), replies=True
            )

        # The other posts share a few dozen rendered bodies: rendering 100,000 would take an hour.
        pool = []
        for body in _other_bodies(rng, 40):
            post = m.Post(title="", slug="", body=body)
            render(post, LANGUAGE)
            pool.append(post)
        first_id = len(rows) + 1
        for n in range(posts):
            post_id = first_id + n
            template = pool[n % len(pool)]
            published = now - timedelta(days=4, hours=3 * n)
            row = _post_row(template, post_id, author.id, published, rng)
            row |= {"title": f"Carnet n° {posts - n} : {rng.choice(_SENTENCES).lower()[:90]}",
                    "slug": f"carnet-{posts - n}"}  # fmt: skip
            row["tag_ids"] = [t.id for t in rng.sample(tags, rng.randint(1, 3))]
            rows.append(row)
            comment_rows += comments_for(post_id, rng.randint(0, 4), published, replies=False)
            if len(rows) >= BATCH or len(comment_rows) >= BATCH:
                _insert_posts(rows)
                _insert(m.Comment, comment_rows)
                rows, comment_rows = [], []
        _insert_posts(rows)
        _insert(m.Comment, comment_rows)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        total_comments = next_comment_id - 1
        tag_slug = tags[0].slug
        db.engine.dispose()
    return Site(
        instance=str(instance),
        database=str(database),
        model_slug=MODEL_SLUG,
        model_post_id=1,
        tag_slug=tag_slug,
        posts=posts + 1 + (1 if big_comments else 0),
        comments=total_comments,
        big_slug=BIG_SLUG if big_comments else None,
        big_post_id=big_id,
    )


def _post_row(post: m.Post, post_id: int, author_id: int, published, rng) -> dict:
    return {
        "id": post_id,
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "body_html": post.body_html,
        "excerpt_html": post.excerpt_html,
        "summary": post.summary,
        "has_more": post.has_more,
        "render_key": post.render_key,
        "status": m.PUBLISHED,
        "published_at": published,
        "created_at": published,
        "updated_at": published,
        "allow_comments": True,
        "author_id": author_id,
        "word_count": post.word_count,
    }


def _insert_posts(rows: list[dict]) -> None:
    links = [{"post_id": r["id"], "tag_id": t} for r in rows for t in r.pop("tag_ids")]
    _insert(m.Post, rows)
    if links:
        db.session.execute(insert(m.post_tags), links)


def _insert(model, rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(model), rows)
