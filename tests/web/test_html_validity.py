"""Every page type of the sample site passes the Nu Html Checker (vnu.jar), in one JVM run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest

from cms import PROJECT_ROOT
from tests.conftest import make_app
from tests.support.comments import post_comment
from tests.support.sample_site import (
    PASSWORD,
    POST_BODY,
    USERNAME,
    build_sample_site,
    editor_pages,
    public_pages,
    tiny_png,
)

VNU = PROJECT_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
STYLESHEETS = sorted((PROJECT_ROOT / "static" / "css").glob("*.css"))
STYLESHEET_RE = re.compile(r'<link rel="stylesheet" href="/static/([^"]+)"')
PREVIEW_LINK_RE = re.compile(r'class="share-link" value="https?://[^/"]+(/preview/[^"]+)"')


def fetch_pages(tmp_path: Path) -> dict[str, str]:
    """The HTML of every page type, each as a visitor or the author would get it."""
    app = make_app(tmp_path, COMMENT_MIN_SECONDS=0)
    site = build_sample_site(app)
    visitor = app.test_client()
    author = app.test_client()
    assert (
        author.post("/login", data={"username": USERNAME, "password": PASSWORD}).status_code == 302
    )
    pages: dict[str, str] = {}

    def keep(name: str, response, status: int = 200) -> None:
        assert response.status_code == status, f"{name}: {response.status_code}"
        pages[name] = response.get_data(as_text=True)

    for name, address in public_pages(site).items():
        keep(name, visitor.get(address), 404 if name == "not-found" else 200)
    keep("post-as-author", author.get(public_pages(site)["post"]))
    for name, address in editor_pages(site).items():
        keep(name, author.get(address))

    # Pages in the states a form puts them in: errors tied to fields, a preview, a flash message.
    keep("comment-errors", post_comment(visitor, site.post_slug, name="", body=""))
    assert 'aria-invalid="true"' in pages["comment-errors"]
    keep(
        "login-error",
        app.test_client().post("/login", data={"username": USERNAME, "password": "wrong"}),
    )
    post_form = {
        "title": "Lire une page par jour",
        "body": POST_BODY,
        "slug": site.post_slug,
        "tags": "lecture, écriture",
        "status": "published",
        "allow_comments": "y",
        "version": "",
    }
    edit = editor_pages(site)["edit-post"]
    keep("edit-preview", author.post(edit, data=post_form | {"action": "preview"}))
    keep("edit-errors", author.post(edit, data=post_form | {"title": "", "slug": "Pas Bon"}))
    keep("settings-errors", author.post("/editor/settings", data={"title": ""}))
    describe = editor_pages(site)["describe-image"]
    keep("describe-image-error", author.post(describe, data={"alt": "trop long " * 40}))
    assert 'aria-invalid="true"' in pages["describe-image-error"]
    keep(
        "upload-in-post-form",
        author.post(
            "/editor/posts/new",
            data=post_form
            | {
                "action": "upload",
                "image_alt": "Un carnet",
                "image": (BytesIO(tiny_png()), "c.png"),
            },
            content_type="multipart/form-data",
        ),
    )
    assert "Collez ce Markdown" in pages["upload-in-post-form"]
    wrong_password = {"current_password": "x", "new_password": "short", "confirm_password": "s"}
    keep("account-errors", author.post("/editor/account/password", data=wrong_password))
    # The post form's other answers: a save over a newer version, publishing no text, a save
    # sent after the session ended.
    keep("edit-conflict", author.post(edit, data=post_form | {"version": "0"}), 409)
    keep("publish-empty", author.post(edit, data=post_form | {"body": "", "version": "1"}))
    keep("session-ended", app.test_client().post(edit, data=post_form), 401)
    saved = author.post(edit, data=post_form | {"version": "1"}, follow_redirects=True)
    keep("flash", saved)
    assert "Billet mis à jour." in pages["flash"]  # it was published already
    link = author.post(f"/editor/posts/{site.draft_id}/preview-link", follow_redirects=True)
    keep("edit-draft-link", link)
    match = PREVIEW_LINK_RE.search(pages["edit-draft-link"])
    assert match, "the draft's edit page shows no private preview link"
    keep("private-preview", visitor.get(match.group(1)))
    return pages


def run_vnu(files: list[Path]) -> list[dict]:
    """The checker's messages on the files, from one run of vnu.jar."""
    if shutil.which("java") is None or not VNU.exists():
        pytest.fail("the Nu Html Checker is missing: run `make checkers` (Java and vnu-jar)")
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--also-check-css", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return json.loads(result.stderr or result.stdout)["messages"]


@pytest.fixture(scope="session")
def sample_pages(tmp_path_factory) -> dict[str, str]:
    return fetch_pages(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def checked(sample_pages, tmp_path_factory) -> dict[str, list[str]]:
    """For each page type and style sheet: the checker's errors and warnings, as readable lines."""
    folder = tmp_path_factory.mktemp("vnu")
    files = {}
    for name, html in sample_pages.items():
        files[name] = folder / f"{name}.html"
        files[name].write_text(html, encoding="utf-8")
    for stylesheet in STYLESHEETS:
        files[stylesheet.name] = folder / stylesheet.name
        shutil.copy(stylesheet, files[stylesheet.name])
    by_file = {path.name: name for name, path in files.items()}
    reports: dict[str, list[str]] = {name: [] for name in files}
    for message in run_vnu(list(files.values())):
        if message["type"] == "info" and message.get("subType") != "warning":
            continue
        name = by_file.get(message.get("url", "").rpartition("/")[2], "?")
        reports.setdefault(name, []).append(
            f"{message['type']} line {message.get('lastLine')}: {message['message']}"
            f" [{message.get('extract', '').strip()}]"
        )
    return reports


PAGE_TYPES = [
    "home",
    "post",
    "post-as-author",
    "post-closed",
    "post-replying",
    "comment-errors",
    "tag",
    "archives",
    "archive-month",
    "page",
    "private-preview",
    "not-found",
    "feeds",
    "feeds-post",
    "login",
    "login-error",
    "dashboard",
    "flash",
    "new-post",
    "edit-post",
    "edit-preview",
    "edit-errors",
    "edit-conflict",
    "publish-empty",
    "session-ended",
    "edit-draft",
    "edit-draft-link",
    "delete-post",
    "moderation",
    "moderation-approved",
    "moderation-spam",
    "edit-comment",
    "delete-comment",
    "settings",
    "settings-errors",
    "account",
    "account-errors",
    "media",
    "delete-image",
    "describe-image",
    "describe-image-error",
    "upload-in-post-form",
    "pages",
    "new-page",
    "revisions",
    "revision",
    "restore",
]


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_is_valid_html(checked, name):
    assert checked[name] == []


@pytest.mark.parametrize("name", [path.name for path in STYLESHEETS])
def test_style_sheet_is_valid_css(checked, name):
    assert checked[name] == []


def test_every_page_type_was_checked(checked):
    """A page added to the sample site's lists is also in this module's list, and was checked."""
    assert "?" not in checked
    assert set(PAGE_TYPES) | {path.name for path in STYLESHEETS} == set(checked)


def test_a_post_page_weighs_less_than_40_kib_with_its_style_sheets(sample_pages):
    """The sample post (code, four comments and the form) with every style sheet it links."""
    html = sample_pages["post"]
    sheets = STYLESHEET_RE.findall(html)
    assert "css/site.css" in sheets and "css/pygments.css" in sheets
    size = len(html.encode()) + sum(
        (PROJECT_ROOT / "static" / sheet).stat().st_size for sheet in sheets
    )
    assert size <= 40 * 1024
