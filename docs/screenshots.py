"""Shoots the README's screenshots: the sample French post, light and dark, 375 and 1280 px wide.

Run from the repository root with `.venv/bin/python docs/screenshots.py` (Debian's chromium
drives the pages through Playwright). It builds a throwaway site with the sample post and its
four comments, closes the comments with the author's own sentence, serves it on a free loopback
port and writes docs/screenshots/post-{light,dark}-{375,1280}.png. Debian's fonts-sil-charis
gives Linux the Charter design the theme asks for first.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from cms import create_app  # noqa: E402
from cms.extensions import db  # noqa: E402
from cms.kernel.settings import ensure_settings_row  # noqa: E402
from cms.models import Post  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.sample_site import build_sample_site, public_pages  # noqa: E402

OUTPUT = ROOT / "docs" / "screenshots"
WIDTHS = {375: 812, 1280: 900}


def sample_app(folder: Path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "screenshots",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'site.sqlite3'}",
        },
        instance_path=folder,
    )
    with app.app_context():
        db.create_all()
        ensure_settings_row()  # as `flask init` does: the sample site's French settings go there
        db.session.commit()
    site = build_sample_site(app)
    with app.app_context():
        db.session.get(Post, site.post_id).allow_comments = False
        db.session.commit()
    return app, public_pages(site)["post"]


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        app, address = sample_app(Path(folder))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base_url = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                for scheme in ("light", "dark"):
                    for width, height in WIDTHS.items():
                        context = browser.new_context(
                            base_url=base_url,
                            color_scheme=scheme,
                            viewport={"width": width, "height": height},
                        )
                        page = context.new_page()
                        page.goto(address)
                        target = OUTPUT / f"post-{scheme}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                        context.close()
                        print(target.relative_to(ROOT))
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
            with app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
