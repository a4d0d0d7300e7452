"""What durability costs SQLite: comments stored per second, each in its own commit, with
synchronous=FULL (the default: every commit is on the disk before the visitor is answered) and
with NORMAL, in one run, on the same disk, through the app's own engine and settings."""

from __future__ import annotations

import time
from pathlib import Path

from cms import create_app
from cms.clock import utcnow
from cms.extensions import db
from cms.markup import render_comment
from cms.models import APPROVED, PUBLISHED, Author, Comment, Post, unusable_password_hash
from cms.posts import render

LEVELS = ("FULL", "NORMAL")


def filesystem_of(folder: Path) -> str:
    """The type of the filesystem holding `folder` ("ext4", "tmpfs"...), from /proc/mounts: on a
    tmpfs a sync costs nothing, and the two figures say nothing about a real disk."""
    folder, best, kind = folder.resolve(), "", "unknown"
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return kind
    for line in mounts:
        _device, point, fstype, *_rest = line.split()
        if folder.is_relative_to(point) and len(point) > len(best):
            best, kind = point, fstype
    return kind


def _site(folder: Path, level: str):
    """An app on a new SQLite database in `folder` with synchronous=`level`, and a post."""
    folder.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {"SECRET_KEY": "bench-durability", "SQLITE_SYNCHRONOUS": level,
         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / f'durability-{level}.sqlite3'}"},
        instance_path=folder,
    )  # fmt: skip
    with app.app_context():
        db.create_all()
        author = Author(
            username="bench", display_name="Bench", password_hash=unusable_password_hash()
        )
        db.session.add(author)
        db.session.flush()
        post = Post(title="Durabilité", slug="durabilite", body="Texte.", status=PUBLISHED,
                    published_at=utcnow(), author_id=author.id)  # fmt: skip
        render(post, "fr")
        db.session.add(post)
        db.session.commit()
        return app, post.id


def _comments_in(app, post_id: int, seconds: float, first: int) -> int:
    """Store comments one commit each for `seconds`; how many were stored."""
    html = render_comment(
        "Un commentaire de longueur ordinaire, rangé dans son propre commit.", "fr"
    )
    stored, deadline = 0, time.perf_counter() + seconds
    with app.app_context():
        while time.perf_counter() < deadline:
            body = f"Commentaire {first + stored} : une remarque de longueur ordinaire."
            db.session.add(Comment(post_id=post_id, author_name="Lecteur", body=body,
                                   body_html=html, status=APPROVED))  # fmt: skip
            db.session.commit()
            stored += 1
    return stored


def commit_rates(folder: Path, seconds: float, rounds: int = 3) -> dict:
    """Comments per second for each level: rounds of `seconds` taken in turns (the machine may
    be shared), the best round kept for each."""
    sites = {level: _site(folder / level.lower(), level) for level in LEVELS}
    best = dict.fromkeys(LEVELS, 0.0)
    stored = dict.fromkeys(LEVELS, 0)
    for _ in range(rounds):
        for level, (app, post_id) in sites.items():
            began = time.perf_counter()
            count = _comments_in(app, post_id, seconds, stored[level])
            stored[level] += count
            best[level] = max(best[level], count / (time.perf_counter() - began))
    for app, _post_id in sites.values():
        with app.app_context():
            db.engine.dispose()
    return {
        "per_second": best,
        "filesystem": filesystem_of(folder),
        "folder": str(folder),
        "seconds": seconds,
        "rounds": rounds,
    }
