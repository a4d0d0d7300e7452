"""`flask media reprocess`: the images uploaded before they were prepared (stored as sent, EXIF
and GPS position included, without narrower copies) made what an upload makes today, once, on
real files and a real database; run again, it changes nothing."""

from __future__ import annotations

import hashlib
import secrets
from io import BytesIO
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from cms.extensions import db
from cms.models import ContentVersion, Upload
from cms.posts import render
from tests.media.test_images import (
    GPS,
    GPS_IFD,
    encoded,
    files,
    images_of,
    phone_exif,
    photo,
    png_with_text_and_exif,
    rows,
    served,
    uploads_dir,
)


def old_upload(app, data: bytes, extension: str, original_name: str, **fields) -> str:
    """An upload as the site stored it before migration 0007: the file byte for byte as sent,
    its row without hash, description or copies. Its name."""
    name = f"{secrets.token_urlsafe(12)}.{extension}"
    folder = uploads_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    with Image.open(BytesIO(data)) as image:
        width, height = image.size
    content_type = {"jpg": "image/jpeg", "png": "image/png"}[extension]
    with app.app_context():
        db.session.add(
            Upload(name=name, original_name=original_name, content_type=content_type,
                   size=len(data), width=width, height=height, **fields)
        )  # fmt: skip
        db.session.commit()
    return name


def reprocess(app):
    return app.test_cli_runner().invoke(args=["media", "reprocess"])


def content_version(app) -> int:
    with app.app_context():
        row = db.session.get(ContentVersion, 1)
        return row.version if row else 0


def on_disk(app) -> dict[str, tuple[bytes, int]]:
    """Every file of the uploads folder: its bytes and when it was last written."""
    return {
        path.name: (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(uploads_dir(app).iterdir())
    }


def gps_of(data: bytes) -> dict:
    with Image.open(BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


def test_old_photos_lose_their_gps_and_get_their_copies_once(app, client, make_post):
    """Images uploaded before this version kept where they were taken, and had no copies."""
    camera = encoded(photo(1400, 1000), "JPEG", quality=92, exif=phone_exif(1))
    assert gps_of(camera)[2] == GPS[2]  # the test photo carries the position
    jpeg = old_upload(app, camera, "jpg", "holiday.jpg")
    png_data = png_with_text_and_exif()
    png = old_upload(app, png_data, "png", "diagram.png")
    make_post("Trip", body=f"Sea.\n\n![The bay](/media/{jpeg})")
    before = client.get("/posts/trip/").get_data(as_text=True)
    [img] = [found for found in images_of(before) if found["src"] == f"/media/{jpeg}"]
    assert "srcset" not in img  # the post knew of no copy
    version = content_version(app)

    result = reprocess(app)
    assert result.exit_code == 0, result.output
    assert f"[1/2] {jpeg} (holiday.jpg): metadata removed, 3 smaller copies" in result.output
    assert f"[2/2] {png} (diagram.png): metadata removed, no smaller copy needed" in result.output
    assert "2 reprocessed, 0 already done, 0 unreadable." in result.output
    assert "1 post shows the new copies." in result.output

    # The files on disk: no position, no camera, no text chunk; the copies beside the photo.
    stored = (uploads_dir(app) / jpeg).read_bytes()
    assert gps_of(stored) == {} and b"PhoneMaker" not in stored and b"Exif\x00\x00" not in stored
    assert served(client, f"/media/{jpeg}") == stored
    stored_png = (uploads_dir(app) / png).read_bytes()
    assert b"PhoneMaker" not in stored_png and b"eXIf" not in stored_png
    with Image.open(BytesIO(stored_png)) as image:
        assert (image.format, image.size, dict(image.getexif())) == ("PNG", (16, 16), {})
    stem = jpeg.removesuffix(".jpg")
    copies = [f"{stem}-{width}.jpg" for width in (640, 960, 1280)]
    assert files(app) == sorted([jpeg, png, *copies])
    for width, copy in zip((640, 960, 1280), copies, strict=True):
        with Image.open(BytesIO(served(client, f"/media/{copy}"))) as image:
            assert (image.format, image.width) == ("JPEG", width)
            assert dict(image.getexif()) == {}

    # The rows: the hash of the file as it was uploaded (sending it again finds this image),
    # its copies, its new size.
    photo_row, png_row = rows(app)
    assert photo_row.sha256 == hashlib.sha256(camera).hexdigest()
    assert png_row.sha256 == hashlib.sha256(png_data).hexdigest()
    assert (photo_row.widths, png_row.widths) == ([640, 960, 1280], [])
    assert (photo_row.size, photo_row.width, photo_row.height) == (len(stored), 1400, 1000)

    # The post offers the copies at once: its HTML was rendered again, the cache moved on.
    assert content_version(app) > version
    after = client.get("/posts/trip/").get_data(as_text=True)
    [img] = [found for found in images_of(after) if found["src"] == f"/media/{jpeg}"]
    assert img["srcset"].startswith(f"/media/{stem}-640.jpg 640w")

    # Run again: nothing to do, nothing written.
    kept = on_disk(app)
    version = content_version(app)
    again = reprocess(app)
    assert again.exit_code == 0, again.output
    assert "Nothing to reprocess: 2 already done." in again.output
    assert on_disk(app) == kept
    assert content_version(app) == version
    assert [(r.sha256, r.variant_widths, r.size) for r in rows(app)] == [
        (photo_row.sha256, photo_row.variant_widths, photo_row.size),
        (png_row.sha256, png_row.variant_widths, png_row.size),
    ]


def test_a_photo_lying_on_its_side_is_turned_upright_and_its_post_says_its_new_size(
    app, client, make_post
):
    sideways = encoded(photo(1000, 700), "JPEG", exif=phone_exif(6))
    name = old_upload(app, sideways, "jpg", "portrait.jpg")
    make_post("Portrait", body=f"![Me](/media/{name})")
    assert reprocess(app).exit_code == 0
    [row] = rows(app)
    assert (row.width, row.height) == (700, 1000)
    with Image.open(uploads_dir(app) / name) as image:
        assert image.size == (700, 1000) and dict(image.getexif()) == {}
    page = client.get("/posts/portrait/").get_data(as_text=True)
    [img] = [found for found in images_of(page) if found["src"] == f"/media/{name}"]
    assert (img["width"], img["height"]) == ("700", "1000")
    assert img["srcset"].startswith(f"/media/{name.removesuffix('.jpg')}-640.jpg 640w")


def test_a_file_it_cannot_read_is_named_and_kept_as_it_was(app):
    whole = encoded(photo(800, 600), "JPEG", exif=phone_exif(1))
    broken = old_upload(app, whole, "jpg", "broken.jpg")
    (uploads_dir(app) / broken).write_bytes(whole[: len(whole) // 2])  # cut short on the disk
    missing = old_upload(app, whole[:-1] + b"\xd9", "jpg", "gone.jpg")
    (uploads_dir(app) / missing).unlink()
    good = old_upload(app, encoded(photo(300, 200), "JPEG", exif=phone_exif(1)), "jpg", "ok.jpg")
    half = (uploads_dir(app) / broken).read_bytes()

    result = reprocess(app)
    assert result.exit_code == 0, result.output
    assert "1 reprocessed, 0 already done, 2 unreadable" in result.output
    assert f"{broken} (broken.jpg): kept as it was: This file is not an image" in result.output
    assert f"{missing} (gone.jpg): kept as it was: the file is missing" in result.output
    assert (uploads_dir(app) / broken).read_bytes() == half
    assert files(app) == sorted([broken, good])
    by_name = {row.name: row for row in rows(app)}
    assert by_name[broken].sha256 is None and by_name[missing].sha256 is None
    assert by_name[good].sha256 is not None

    # `flask check` says what is left; the command, run again, names them again.
    check = app.test_cli_runner().invoke(args=["check"])
    assert "2 images uploaded before this version" in check.output
    assert "flask --app app media reprocess" in check.output
    again = reprocess(app)
    assert "0 reprocessed, 1 already done, 2 unreadable" in again.output
    assert (uploads_dir(app) / broken).read_bytes() == half


def test_check_says_when_images_wait_and_when_all_are_done(app):
    old_upload(app, encoded(photo(200, 100), "JPEG", exif=phone_exif(1)), "jpg", "a.jpg")
    check = app.test_cli_runner().invoke(args=["check"])
    assert "warn  images" in check.output
    assert "1 image uploaded before this version still carries its EXIF/GPS" in check.output
    reprocess(app)
    check = app.test_cli_runner().invoke(args=["check"])
    assert "ok    images" in check.output and "media reprocess" not in check.output


def test_a_file_uploaded_twice_before_is_two_images_both_reprocessed(app, logged_in):
    """Before files were stored once, the same photo sent twice was two rows of one hash."""
    camera = encoded(photo(700, 500), "JPEG", exif=phone_exif(1))
    first = old_upload(app, camera, "jpg", "a.jpg")
    second = old_upload(app, camera, "jpg", "a again.jpg")
    result = reprocess(app)
    assert result.exit_code == 0, result.output
    assert "2 reprocessed" in result.output
    one, two = rows(app)
    assert one.sha256 == hashlib.sha256(camera).hexdigest() != two.sha256
    assert gps_of((uploads_dir(app) / second).read_bytes()) == {}
    # Sent again, the file is the first of them.
    response = logged_in.post(
        "/editor/media/upload",
        data={"image": (BytesIO(camera), "a.jpg")},
        content_type="multipart/form-data",
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 200 and response.json["name"] == first
    assert "Nothing to reprocess: 2 already done." in reprocess(app).output


def test_a_run_stopped_after_replacing_a_file_finishes_from_the_original_kept_aside(app):
    """What a run killed between writing the new file and committing leaves: the file already
    without metadata, the row still waiting, the original as sent kept outside the uploads
    folder (which nginx serves). Run again, the row gets the hash of the file as uploaded,
    and nothing of the original is left."""
    from cms.media import check_image, prepare_image

    camera = encoded(photo(900, 600), "JPEG", exif=phone_exif(1))
    name = old_upload(app, camera, "jpg", "a.jpg")
    aside = Path(app.instance_path) / "reprocessing"
    aside.mkdir()
    (aside / name).write_bytes(camera)
    with app.app_context():
        prepared = prepare_image(camera, check_image(camera))
    (uploads_dir(app) / name).write_bytes(prepared.data)
    stem = name.removesuffix(".jpg")
    (uploads_dir(app) / f".{stem}-640.jpg.tmp").write_bytes(b"half")  # a copy being written
    # The original kept aside of an image deleted since.
    (aside / "AAAAAAAAAAAAAAAA.jpg").write_bytes(camera)

    result = reprocess(app)
    assert result.exit_code == 0, result.output
    [row] = rows(app)
    assert row.sha256 == hashlib.sha256(camera).hexdigest()
    assert (uploads_dir(app) / name).read_bytes() == prepared.data
    assert files(app) == sorted([name, f"{stem}-640.jpg"])
    assert not aside.exists()


def test_posts_rendered_with_an_image_get_its_copies_in_every_language(app, client, make_post):
    """The post HTML is rendered in the site's language: a French site keeps its typography."""
    from tests.support.comments import set_site

    set_site(app, language="fr")
    name = old_upload(app, encoded(photo(1000, 800), "JPEG"), "jpg", "a.jpg")
    make_post("Mer", body=f"L'été.\n\n![La baie](/media/{name})", language="fr")
    assert "1 post shows the new copies." in reprocess(app).output
    page = client.get("/posts/mer/").get_data(as_text=True)
    assert "L’été." in page
    with app.app_context():
        from cms.models import Post

        post = db.session.scalar(select(Post))
        rendered = post.body_html
        render(post, "fr")
        assert post.body_html == rendered  # as a save would render it now
        db.session.rollback()


def test_an_image_deleted_after_a_stopped_run_leaves_none_of_its_copies(app, logged_in):
    """A run stopped after writing the copies, before the row names them: the media page's
    Delete took the image and left its copies served."""
    name = old_upload(app, encoded(photo(900, 600), "JPEG"), "jpg", "a.jpg")
    stem = name.removesuffix(".jpg")
    (uploads_dir(app) / f"{stem}-640.jpg").write_bytes(b"a copy")
    [row] = rows(app)
    assert logged_in.post(f"/editor/media/{row.id}/delete").status_code == 302
    assert files(app) == []


def test_one_run_at_a_time(app):
    """Two runs at once would each take the other's half-written state for a stopped run."""
    from cms.media.reprocessing import one_run_at_a_time

    name = old_upload(app, encoded(photo(300, 200), "JPEG", exif=phone_exif(1)), "jpg", "a.jpg")
    with app.app_context(), one_run_at_a_time():
        result = reprocess(app)
    assert result.exit_code == 1
    assert "Another `media reprocess` is running: let it finish." in result.output
    assert gps_of((uploads_dir(app) / name).read_bytes()) != {}  # left to the run holding it
    assert "1 reprocessed" in reprocess(app).output
