"""What readers get of an upload: upright, without the author's metadata, no larger than it needs
to be, with narrower copies in the post's srcset; and one file however often it is sent."""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageCms
from sqlalchemy import select

from cms import markup
from cms.extensions import db
from cms.models import Upload
from tests.conftest import PASSWORD

FETCH = {"X-Requested-With": "fetch"}
ORIENTATION, MAKE, GPS_IFD = 0x0112, 0x010F, 0x8825
# Where the photo was taken: the Eiffel Tower.
GPS = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)}


def upload(client, data: bytes, filename="photo.jpg", alt="", headers=FETCH):
    return client.post(
        "/editor/media/upload",
        data={"image": (BytesIO(data), filename), "alt": alt},
        content_type="multipart/form-data",
        headers=headers,
    )


def uploads_dir(app) -> Path:
    return Path(app.instance_path) / "uploads"


def files(app) -> list[str]:
    folder = uploads_dir(app)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def rows(app) -> list[Upload]:
    with app.app_context():
        found = list(db.session.scalars(select(Upload).order_by(Upload.id)))
        db.session.expunge_all()
        return found


def served(client, url: str) -> bytes:
    with client.get(url) as response:
        assert response.status_code == 200, url
        assert response.headers["Content-Type"].startswith("image/")
        return response.get_data()


def phone_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "PhoneMaker"
    exif[GPS_IFD] = GPS
    return exif


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def photo(width: int, height: int) -> Image.Image:
    """Something like a photograph, smooth enough to stay under 500 KB (above that the test
    client leaves a temporary file open), quick to make at any size."""
    sky = Image.linear_gradient("L").resize((width, height))
    clouds = Image.effect_noise((max(1, width // 50), max(1, height // 50)), 60)
    clouds = clouds.resize((width, height), Image.Resampling.BICUBIC)
    return Image.merge("RGB", (sky, clouds, Image.blend(sky, clouds, 0.5)))


def test_a_phone_photo_is_served_upright_without_where_it_was_taken(app, logged_in, client):
    """The EXIF (GPS position, camera) was served byte for byte, and the photo lay on its side
    in every browser that ignores the orientation tag (and in every thumbnail tool)."""
    # Stored on its side, as a phone writes it: left half blue, right half red, orientation 6
    # (turn 90° clockwise to show), with a comment and a colour profile.
    sideways = Image.new("RGB", (40, 20), (220, 0, 0))
    sideways.paste((0, 0, 220), (0, 0, 20, 20))
    profile = srgb_profile()
    data = encoded(
        sideways, "JPEG", exif=phone_exif(6), comment=b"Taken at home", icc_profile=profile
    )
    with Image.open(BytesIO(data)) as original:  # the test photo carries all of it
        assert original.getexif().get_ifd(GPS_IFD)[2] == (48.0, 51.0, 30.0)

    name = upload(logged_in, data).json["name"]
    image_data = served(client, f"/media/{name}")
    assert image_data == (uploads_dir(app) / name).read_bytes()
    assert b"Exif\x00\x00" not in image_data and b"PhoneMaker" not in image_data
    assert b"Taken at home" not in image_data
    with Image.open(BytesIO(image_data)) as image:
        assert dict(image.getexif()) == {}
        assert "comment" not in image.info and "exif" not in image.info
        assert image.info.get("icc_profile") == profile  # colours stay as the camera meant
        assert image.size == (20, 40)  # upright: turned a quarter clockwise
        rgb = image.convert("RGB")
        top, bottom = rgb.getpixel((10, 5)), rgb.getpixel((10, 35))
    assert top[2] > 180 and top[0] < 40  # what was on the left is now on top
    assert bottom[0] > 180 and bottom[2] < 40
    [row] = rows(app)
    assert (row.width, row.height, row.size) == (20, 40, len(image_data))


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (16, 16), color) for color in ((255, 0, 0), (0, 255, 0))]
    return encoded(
        frames[0], "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0,
        comment=b"PhoneMaker",
    )  # fmt: skip


def png_with_text_and_exif() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "PhoneMaker")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>PhoneMaker</x:xmpmeta>")
    return encoded(
        Image.new("RGB", (16, 16), (0, 90, 200)), "PNG", pnginfo=info, exif=phone_exif(1)
    )


def webp_with_exif_and_xmp(**options) -> bytes:
    return encoded(
        Image.new("RGB", (16, 16), (0, 90, 200)), "WEBP", exif=phone_exif(1),
        xmp=b"<x:xmpmeta>PhoneMaker</x:xmpmeta>", **options,
    )  # fmt: skip


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (16, 16), color) for color in ((255, 0, 0), (0, 255, 0))]
    extra = {"xmp": b"<x:xmpmeta>PhoneMaker</x:xmpmeta>"} if fmt == "WEBP" else {}
    return encoded(
        frames[0], fmt, save_all=True, append_images=frames[1:], duration=120,
        exif=phone_exif(1), **extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("data", "frames"),
    [
        (png_with_text_and_exif(), 1),
        (webp_with_exif_and_xmp(), 1),
        (webp_with_exif_and_xmp(lossless=True), 1),
        (animated_gif(), 2),
        (animated("PNG"), 2),
        (animated("WEBP"), 2),
    ],
    ids=["png", "webp", "webp-lossless", "animated-gif", "animated-png", "animated-webp"],
)
def test_every_format_loses_its_metadata_and_keeps_its_frames(app, logged_in, client, data, frames):
    assert b"PhoneMaker" in data
    name = upload(logged_in, data).json["name"]
    image_data = served(client, f"/media/{name}")
    assert b"PhoneMaker" not in image_data
    with Image.open(BytesIO(image_data)) as image:
        assert getattr(image, "n_frames", 1) == frames
        assert dict(image.getexif()) == {}
        colours = []
        for frame in range(frames):
            image.seek(frame)
            colours.append(image.convert("RGB").getpixel((8, 8)))
    if frames == 2:  # the animation plays as it came
        assert colours[0][0] > 200 and colours[1][1] > 200


def test_a_phone_photo_with_a_second_picture_is_a_jpeg(app, logged_in, client):
    """Many phones write JPEGs holding a second picture (MPO: a depth map, a preview): Pillow
    calls them MPO, and every one was refused as "not an image this site accepts"."""
    photo_data = encoded(
        Image.new("RGB", (40, 30), (0, 90, 200)), "MPO", save_all=True,
        append_images=[Image.new("RGB", (40, 30))], exif=phone_exif(1),
    )  # fmt: skip
    with Image.open(BytesIO(photo_data)) as image:
        assert image.format == "MPO"
    response = upload(logged_in, photo_data)
    assert response.status_code == 201, response.json
    name = response.json["name"]
    assert name.endswith(".jpg")
    with Image.open(BytesIO(served(client, f"/media/{name}"))) as image:
        assert (image.format, image.size, dict(image.getexif())) == ("JPEG", (40, 30), {})


def test_a_large_photo_is_made_smaller_with_narrower_copies_served(app, logged_in, client):
    """A 3000-pixel photo went to every reader as uploaded: megabytes for a 500-pixel column."""
    data = encoded(photo(3000, 2000), "JPEG", quality=85)
    assert len(data) < 500_000
    response = upload(logged_in, data, alt="Dunes")
    name = response.json["name"]
    [row] = rows(app)
    assert (row.width, row.height) == (2400, 1600)
    assert row.widths == [640, 960, 1280, 1920]
    original = served(client, f"/media/{name}")
    assert len(original) == row.size < len(data)
    with Image.open(BytesIO(original)) as image:
        assert image.size == (2400, 1600)
    stem = name.removesuffix(".jpg")
    assert files(app) == sorted([name, *(f"{stem}-{w}.jpg" for w in (640, 960, 1280, 1920))])
    sizes = []
    for width in (640, 960, 1280, 1920):
        copy = served(client, f"/media/{stem}-{width}.jpg")
        with Image.open(BytesIO(copy)) as image:
            assert (image.format, image.size) == ("JPEG", (width, round(width * 2 / 3)))
        sizes.append(len(copy))
    assert sizes == sorted(sizes) and sizes[-1] < len(original)
    # Within the pixel limit, the longest side decides: a tall one is 2400 high.
    upload(logged_in, encoded(photo(1000, 3000), "JPEG"))
    tall = rows(app)[-1]
    assert (tall.width, tall.height, tall.widths) == (800, 2400, [640])


def test_a_small_image_is_kept_at_its_size_with_no_copies(app, logged_in, client):
    name = upload(logged_in, encoded(photo(600, 400), "PNG"), filename="s.png").json["name"]
    [row] = rows(app)
    assert (row.width, row.height, row.widths) == (600, 400, [])
    assert files(app) == [name]


class Images(HTMLParser):
    """The attributes of every <img> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.found.append(dict(attrs))


def images_of(page: str) -> list[dict[str, str]]:
    parser = Images()
    parser.feed(page)
    return parser.found


def test_the_post_offers_the_narrower_copies_in_srcset(app, logged_in, client, make_post):
    name = upload(logged_in, encoded(photo(3000, 2000), "JPEG"), alt="Dunes").json["name"]
    make_post("Desert", body=f"Sand.\n\n![Dunes at dawn](/media/{name})")
    page = client.get("/posts/desert/").get_data(as_text=True)
    [img] = [found for found in images_of(page) if found["src"] == f"/media/{name}"]
    assert img["alt"] == "Dunes at dawn"  # the Markdown stays as written
    assert (img["width"], img["height"]) == ("2400", "1600")
    assert img["sizes"] == "(min-width: 33em) 31em, calc(100vw - 2rem)"
    candidates = [part.strip().split(" ") for part in img["srcset"].split(",")]
    assert [descriptor for _, descriptor in candidates] == [
        "640w", "960w", "1280w", "1920w", "2400w",
    ]  # fmt: skip
    for url, descriptor in candidates:
        assert url.startswith("/media/")
        with Image.open(BytesIO(served(client, url))) as image:
            assert f"{image.width}w" == descriptor
    # The feed's HTML is the same.
    assert f"/media/{name.removesuffix('.jpg')}-640.jpg 640w" in client.get("/feed.xml").get_data(
        as_text=True
    )


def test_srcset_is_only_ever_the_sites_own(app, logged_in, client, make_post):
    name = upload(logged_in, encoded(photo(1400, 700), "JPEG")).json["name"]
    make_post(
        "Links",
        body=(
            f'<img src="/media/{name}" srcset="https://tracker.example/a.jpg 2x" sizes="1px">\n\n'
            '<img src="/media/AAAAAAAAAAAAAAAA.jpg" alt="unknown">\n\n'
            '<img src="https://elsewhere.example/b.jpg" srcset="https://elsewhere.example/c.jpg 2x">'
        ),
    )
    page = client.get("/posts/links/").get_data(as_text=True)
    assert "tracker.example" not in page and "elsewhere.example/c.jpg" not in page
    found = {img["src"]: img for img in images_of(page) if "srcset" in img or "sizes" in img}
    assert list(found) == [f"/media/{name}"]
    assert found[f"/media/{name}"]["srcset"].startswith(f"/media/{name.removesuffix('.jpg')}-640")
    # The renderer adds nothing that would lead a reader's browser elsewhere, whatever it is given.
    hostile = {
        "/media/x.jpg": {"srcset": "https://tracker.example/a.jpg 640w", "onload": "alert(1)"}
    }
    html = markup.render_post("![](/media/x.jpg)", "en", hostile).body_html
    assert html == '<p><img alt="" src="/media/x.jpg"></p>'


def test_the_same_file_uploaded_twice_is_stored_once(app, logged_in, client):
    """Each upload of the same photo was another copy on disk and another row in the library."""
    data = encoded(photo(1400, 700), "JPEG")
    first = upload(logged_in, data, alt="")
    assert first.status_code == 201 and first.json["already_stored"] is False
    # The media page's own form this time, with a description.
    again = upload(logged_in, data, filename="copy.jpg", alt="The harbour", headers={})
    assert again.status_code == 302
    page = logged_in.get(again.headers["Location"]).get_data(as_text=True)
    name = first.json["name"]
    assert f"This image was already uploaded. Its Markdown: ![The harbour](/media/{name})" in page
    third = upload(logged_in, data, alt="Another description")
    assert third.status_code == 200 and third.json["name"] == name
    assert third.json["url"] == first.json["url"] == f"/media/{name}"
    assert third.json["markdown"] == f"![Another description](/media/{name})"
    [row] = rows(app)
    # The description given when there was none is kept; a later one does not replace it.
    assert (row.name, row.alt, row.original_name) == (name, "The harbour", "photo.jpg")
    stem = name.removesuffix(".jpg")
    assert row.widths and files(app) == sorted([name, *(f"{stem}-{w}.jpg" for w in row.widths)])
    assert (
        upload(logged_in, data, alt="").json["markdown"] == f"![The harbour](/media/{name})"
    )  # no description typed: the library's


def test_the_same_file_sent_twice_at_once_is_stored_once(app, author):
    data = encoded(photo(2000, 1500), "JPEG")
    clients = []
    for _ in range(2):
        client = app.test_client()
        assert (
            client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code
            == 302
        )
        clients.append(client)
    start = threading.Barrier(2)
    answers = []

    def send(client):
        start.wait()
        answers.append(upload(client, data))

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answer.status_code for answer in answers) in ([200, 201], [201, 201])
    assert len({answer.json["name"] for answer in answers}) == 1
    [row] = rows(app)
    assert len(files(app)) == 1 + len(row.widths)


def test_refused_descriptions_and_files_leave_nothing(app, logged_in):
    too_long = upload(logged_in, encoded(photo(100, 100), "JPEG"), alt="x" * 301)
    assert too_long.status_code == 400
    assert too_long.json["message"] == (
        "The description is too long: up to 300 characters are accepted."
    )
    assert rows(app) == [] and files(app) == []
    assert re.fullmatch(
        r"[\w-]{16}\.jpg", upload(logged_in, encoded(photo(9, 9), "JPEG")).json["name"]
    )
