"""Images: only real JPEG/PNG/GIF/WebP are stored, under random names, served safely."""

import re
import struct
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import event, select

from cms.extensions import db
from cms.models import Upload

FETCH = {"X-Requested-With": "fetch"}


def image_bytes(fmt="PNG", size=(30, 20), color=(200, 80, 20)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def uploads_dir(app) -> Path:
    return Path(app.instance_path) / "uploads"


def stored(app) -> tuple[list[str], list[str]]:
    """(names in the database, files on disk)."""
    with app.app_context():
        rows = list(db.session.scalars(select(Upload.name)))
    folder = uploads_dir(app)
    return rows, sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def upload(client, data: bytes, filename="photo.png", alt="", headers=None):
    return client.post(
        "/editor/media/upload",
        data={"image": (BytesIO(data), filename), "alt": alt},
        content_type="multipart/form-data",
        headers=headers or {},
    )


@pytest.mark.parametrize(
    ("fmt", "extension", "content_type"),
    [
        ("PNG", "png", "image/png"),
        ("JPEG", "jpg", "image/jpeg"),
        ("GIF", "gif", "image/gif"),
        ("WEBP", "webp", "image/webp"),
    ],
)
def test_each_accepted_format_is_stored_and_served(
    app, logged_in, client, fmt, extension, content_type
):
    data = image_bytes(fmt)
    # The client's name and extension mean nothing: the stored name comes from the content.
    response = upload(
        logged_in, data, filename="../../evil.svg", alt="A [red] square", headers=FETCH
    )
    assert response.status_code == 201
    name = response.json["name"]
    assert re.fullmatch(rf"[A-Za-z0-9_-]{{16}}\.{extension}", name)
    assert response.json["markdown"] == rf"![A \[red\] square](/media/{name})"
    assert stored(app) == ([name], [name])
    with app.app_context():
        row = db.session.scalar(select(Upload))
        assert (row.content_type, row.width, row.height) == (content_type, 30, 20)
        assert row.original_name == "evil.svg"

    with client.get(f"/media/{name}") as served:
        assert served.status_code == 200
        assert served.headers["Content-Type"] == content_type
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Disposition"] == "inline"
        assert "max-age=31536000" in served.headers["Cache-Control"]
        # Written again without metadata (lossy formats lose a little): the same image.
        served_bytes = served.get_data()
    assert served_bytes == (uploads_dir(app) / name).read_bytes() and len(served_bytes) == row.size
    with Image.open(BytesIO(served_bytes)) as image:
        assert (image.format, image.size) == (fmt, (30, 20))
        red, green, blue = image.convert("RGB").getpixel((15, 10))
        assert abs(red - 200) + abs(green - 80) + abs(blue - 20) < 30


REFUSED = "This file is not an image this site accepts: use JPEG, PNG, GIF or WebP."
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (PNG_SIGNATURE + b"<script>alert(document.cookie)</script>", "x.png", REFUSED),
        # A real PNG header chunk, then a script where the image data should be.
        (image_bytes()[:33] + b"<script>alert(1)</script>" * 4, "x.png", REFUSED),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "x.svg",
            REFUSED,
        ),
        (b"Just some text, named like a photo.\n", "holiday.jpg", REFUSED),
        (image_bytes("BMP"), "old.bmp", REFUSED),
        (image_bytes()[:-20], "truncated.png", REFUSED),
        (b"", "empty.png", "This file is empty."),
    ],
)
def test_non_images_are_refused_with_a_message_and_nothing_stored(
    app, logged_in, data, filename, message
):
    response = upload(logged_in, data, filename=filename, headers=FETCH)
    assert response.status_code == 400
    assert response.json["message"] == message
    assert stored(app) == ([], [])
    # The media page's own form: back to the page, with the same message.
    page = upload(logged_in, data, filename=filename)
    assert page.status_code == 302
    assert message in logged_in.get(page.headers["Location"]).get_data(as_text=True)
    assert stored(app) == ([], [])


def test_oversize_file_is_refused_with_the_limit_in_the_message(app, logged_in):
    # Small sizes: the test client leaves a temporary file open for bodies over 500 KB.
    app.config["UPLOAD_MAX_BYTES"] = 200 * 1024
    big = image_bytes("PNG", size=(10, 10)) + b"\0" * (200 * 1024)
    response = upload(logged_in, big, headers=FETCH)
    assert response.status_code == 400
    assert response.json["message"] == "This file is too large: images up to 200 KB are accepted."
    assert "up to 200 KB" in logged_in.get("/editor/posts/new", follow_redirects=True).get_data(
        as_text=True
    )
    assert stored(app) == ([], [])


def bilevel_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of any size in a few kilobytes, made without Pillow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    squeeze = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    pixels = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    ends = chunk(b"IHDR", header), chunk(b"IDAT", pixels), chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + b"".join(ends)


def test_an_image_with_too_many_pixels_is_refused_whatever_its_size_in_bytes(app, logged_in):
    """An 81-megapixel PNG of a few kilobytes was accepted: every reader's browser would spend
    hundreds of megabytes drawing it."""
    huge = bilevel_png(9000, 9000)
    assert len(huge) < 200_000
    response = upload(logged_in, huge, headers=FETCH)
    assert response.status_code == 400
    message = "This image has too many pixels: up to 50 megapixels are accepted."
    assert response.json["message"] == message
    assert stored(app) == ([], [])
    assert upload(logged_in, bilevel_png(5000, 5000), headers=FETCH).status_code == 201


def test_a_request_over_the_request_limit_gets_the_413_page(app, logged_in):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = upload(logged_in, image_bytes() + b"\0" * 8192)
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)
    assert stored(app) == ([], [])


def test_upload_from_the_post_form_keeps_the_text_and_shows_the_markdown(app, logged_in):
    """Without JavaScript: the Upload button posts the whole post form, which comes back as typed."""
    form = {
        "title": "Unsaved title",
        "body": "Unsaved words.",
        "status": "draft",
        "slug": "",
        "tags": "travel",
        "action": "upload",
        "image_alt": "Sunset",
    }
    response = logged_in.post(
        "/editor/posts/new",
        data=form | {"image": (BytesIO(image_bytes()), "s.png")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    [name] = stored(app)[0]
    assert f'value="![Sunset](/media/{name})"' in page
    assert "Paste this Markdown where it should appear" in page
    assert 'value="Unsaved title"' in page and "Unsaved words.</textarea>" in page
    assert 'value="travel"' in page
    with app.app_context():
        assert db.session.scalar(select(Upload.alt)) == "Sunset"  # the library has it too

    refused = logged_in.post(
        "/editor/posts/new",
        data=form | {"image": (BytesIO(b"text"), "a.jpg")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert REFUSED in refused and "Unsaved words.</textarea>" in refused
    assert len(stored(app)[0]) == 1


def test_unknown_or_malformed_media_names_are_404(app, client):
    assert client.get("/media/AAAAAAAAAAAAAAAA.png").status_code == 404
    assert client.get("/media/..%2Finstance%2Ftest.sqlite3").status_code == 404
    assert client.get("/media/test.sqlite3").status_code == 404


def test_media_page_lists_uploads_and_where_they_are_used(app, logged_in, make_post):
    used = upload(logged_in, image_bytes(size=(600, 300)), headers=FETCH).json["name"]
    unused = upload(logged_in, image_bytes("GIF"), headers=FETCH).json["name"]
    make_post("Holiday", body=f"Look: ![sea](/media/{used})")
    make_post("Again", body=f'<img src="/media/{used}" alt="">')
    make_post("Other", body="No picture, just /media/ in prose.")
    page = logged_in.get("/editor/media").get_data(as_text=True)
    assert f'src="/media/{used}" width="120" height="60"' in page
    assert unused in page and "Not used" in page
    row = page[page.index(f"<code>{used}</code>") :]
    row = row[: row.index("</tr>")]
    assert ">Holiday</a>" in row and ">Again</a>" in row and "Other" not in row


def test_deleting_an_image_in_use_asks_first_naming_the_posts(app, logged_in, make_post):
    name = upload(logged_in, image_bytes(), headers=FETCH).json["name"]
    make_post("Holiday", body=f"![sea](/media/{name})")
    with app.app_context():
        upload_id = db.session.scalar(select(Upload.id))

    # A plain POST (the media page's button) does not delete an image in use: it asks.
    asked = logged_in.post(f"/editor/media/{upload_id}/delete")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "This image is used in 1 post." in page and ">Holiday</a>" in page
    assert stored(app) == ([name], [name])

    done = logged_in.post(f"/editor/media/{upload_id}/delete", data={"confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"] == "/editor/media"
    assert f"The image {name} was deleted." in logged_in.get("/editor/media").get_data(as_text=True)
    assert stored(app) == ([], [])


def test_deleting_an_unused_image_needs_no_confirmation(app, logged_in):
    name = upload(logged_in, image_bytes(), headers=FETCH).json["name"]
    with app.app_context():
        upload_id = db.session.scalar(select(Upload.id))
    assert "No post uses this image." in logged_in.get(
        f"/editor/media/{upload_id}/delete"
    ).get_data(as_text=True)
    response = logged_in.post(f"/editor/media/{upload_id}/delete", follow_redirects=True)
    assert f"The image {name} was deleted." in response.get_data(as_text=True)
    assert stored(app) == ([], [])
    assert name not in logged_in.get("/editor/media").get_data(as_text=True)


def test_uploading_needs_login(app, client):
    assert upload(client, image_bytes(), headers=FETCH).status_code == 401
    response = upload(client, image_bytes())
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert stored(app) == ([], [])


def test_the_media_page_finds_usage_in_one_query(app, logged_in, make_post):
    def selects() -> int:
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert logged_in.get("/editor/media").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    names = [upload(logged_in, image_bytes(), headers=FETCH).json["name"]]
    make_post("One", body=f"![](/media/{names[0]})")
    few = selects()
    for n in range(4):
        image = image_bytes(color=(n, 0, 0))
        names.append(upload(logged_in, image, headers=FETCH).json["name"])
        make_post(f"Post {n}", body=f"![](/media/{names[-1]})")
    assert selects() == few
