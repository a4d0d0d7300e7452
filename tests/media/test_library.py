"""The media page: each image's description, shown, carried by the Markdown to copy, changed."""

from __future__ import annotations

import re
from io import BytesIO

from PIL import Image
from sqlalchemy import select

from cms.extensions import db
from cms.models import Upload
from tests.conftest import PASSWORD, make_app

FETCH = {"X-Requested-With": "fetch"}


def image_bytes(color=(200, 80, 20)) -> bytes:
    out = BytesIO()
    Image.new("RGB", (30, 20), color).save(out, "PNG")
    return out.getvalue()


def upload(client, alt="", color=(200, 80, 20)) -> dict:
    response = client.post(
        "/editor/media/upload",
        data={"image": (BytesIO(image_bytes(color)), "p.png"), "alt": alt},
        content_type="multipart/form-data",
        headers=FETCH,
    )
    assert response.status_code == 201
    return response.json


def upload_row(app, name: str) -> Upload:
    with app.app_context():
        row = db.session.scalar(select(Upload).where(Upload.name == name))
        db.session.expunge(row)
        return row


def row_of(page: str, name: str) -> str:
    start = page.index(f'src="/media/{name}"')
    return page[start : page.index("</tr>", start)]


def test_the_media_page_shows_each_description_and_puts_it_in_the_markdown(app, logged_in):
    """The page listed "![](/media/…)" for every image: the description typed at upload was
    lost, and every copied image reached readers with no alt text."""
    described = upload(logged_in, alt="A red [square] at dusk")["name"]
    bare = upload(logged_in, color=(0, 0, 0))["name"]
    assert upload_row(app, described).alt == "A red [square] at dusk"

    page = logged_in.get("/editor/media").get_data(as_text=True)
    row = row_of(page, described)
    assert 'alt="A red [square] at dusk"' in row  # the thumbnail
    assert 'value="A red [square] at dusk"' in row  # the field to change it
    assert f'value="![A red \\[square\\] at dusk](/media/{described})"' in row
    assert "No description yet" not in row
    row = row_of(page, bare)
    assert f'value="![](/media/{bare})"' in row
    assert "No description yet: readers who cannot see the image will learn nothing of it." in row


def test_the_author_changes_a_description_from_the_media_page(app, logged_in):
    name = upload(logged_in)["name"]
    with app.app_context():
        upload_id = db.session.scalar(select(Upload.id))
    response = logged_in.post(
        f"/editor/media/{upload_id}/description", data={"alt": "  The harbour\n at noon "}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/editor/media"
    page = logged_in.get("/editor/media").get_data(as_text=True)
    assert f"The description of {name} was saved." in page
    assert f'value="![The harbour at noon](/media/{name})"' in page
    assert upload_row(app, name).alt == "The harbour at noon"
    # From the second page of the list, back to it.
    response = logged_in.post(
        f"/editor/media/{upload_id}/description", data={"alt": "", "page": "2"}
    )
    assert response.headers["Location"] == "/editor/media?page=2"
    assert upload_row(app, name).alt == ""
    # Its own page shows the form too, with the description as it is.
    own = logged_in.get(f"/editor/media/{upload_id}/description")
    assert own.status_code == 200 and f"Describe the image {name}" in own.get_data(as_text=True)
    assert logged_in.get("/editor/media/999/description").status_code == 404


def test_a_description_too_long_is_refused_with_the_text_kept(app, logged_in):
    name = upload(logged_in, alt="Short")["name"]
    with app.app_context():
        upload_id = db.session.scalar(select(Upload.id))
    typed = "A very long description " * 13
    response = logged_in.post(f"/editor/media/{upload_id}/description", data={"alt": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The description is too long: up to 300 characters are accepted." in page
    assert f'value="{typed}"' in page and 'aria-invalid="true"' in page
    assert upload_row(app, name).alt == "Short"


def test_changing_a_description_needs_the_forms_token(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        from cms.models import Author

        author = Author(username="alice", display_name="Alice")
        author.set_password(PASSWORD)
        db.session.add(author)
        db.session.add(
            Upload(
                name="AAAAAAAAAAAAAAAA.png", content_type="image/png", size=1, width=1, height=1,
                alt="Kept",
            )
        )  # fmt: skip
        db.session.commit()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    refused = client.post("/editor/media/1/description", data={"alt": "Changed"})
    assert refused.status_code == 400
    assert upload_row(app, "AAAAAAAAAAAAAAAA.png").alt == "Kept"
    page = client.get("/editor/media").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = client.post("/editor/media/1/description", data={"alt": "Changed", "csrf_token": token})
    assert done.status_code == 302
    assert upload_row(app, "AAAAAAAAAAAAAAAA.png").alt == "Changed"


def test_deleting_an_image_named_by_a_path_deletes_no_file_outside_the_uploads(app, logged_in):
    """A row that came with a path for a name (an old import, a doctored archive) is deleted
    from the library, and the file it names stays where it is."""
    victim = app.instance_path + "/victim.txt"
    with open(victim, "w", encoding="utf-8") as out:
        out.write("kept")
    with app.app_context():
        row = Upload(name="../victim.txt", content_type="image/png", size=1, width=1, height=1)
        db.session.add(row)
        db.session.commit()
        upload_id = row.id

    response = logged_in.post(f"/editor/media/{upload_id}/delete", data={"confirm": "1"})

    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Upload, upload_id) is None
    with open(victim, encoding="utf-8") as kept:
        assert kept.read() == "kept"
