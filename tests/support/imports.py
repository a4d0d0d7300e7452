"""WordPress imports run as an operator runs them: a large export made from the test fixture, and
`flask import-wxr` in a process of its own on a test site's database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from flask import Flask

from tests.support import WXR_EXPORT


def export_with_copies(path: Path, copies: int) -> Path:
    """tests/data/wxr/export.xml with `copies` more posts like its first one (same text,
    comments and replies, new WordPress ids and addresses): an import that takes a measurable
    time."""
    xml = WXR_EXPORT.read_text()
    start = xml.index("<item>")
    item = xml[start : xml.index("</item>", start) + len("</item>")]
    items = []
    for n in range(1, copies + 1):
        copy = item.replace("storm-season", f"storm-season-{n}")
        copy = copy.replace("<wp:post_id>10<", f"<wp:post_id>{100_000 + n}<")
        copy = copy.replace("?p=10<", f"?p={100_000 + n}<")
        copy = re.sub(
            r"<wp:comment_(id|parent)>([1-9]\d*)<",
            lambda match, n=n: f"<wp:comment_{match[1]}>{n * 1000 + int(match[2])}<",
            copy,
        )
        items.append(copy)
    end = xml.index("</channel>")
    path.write_text(xml[:end] + "\n".join(items) + "\n" + xml[end:])
    return path


def start_import(app: Flask, export: Path) -> subprocess.Popen:
    """`flask import-wxr EXPORT` on `app`'s database, in a process group of its own (so that a
    test can kill it whole); its output (report and progress bar) on stdout."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    environment["CMS_SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"]
    # Values are read as JSON: the PostgreSQL schema's search_path, for one.
    environment["CMS_SQLALCHEMY_ENGINE_OPTIONS"] = json.dumps(
        app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    )
    environment["CMS_SECRET_KEY"] = "import-test-key"
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "flask"), "--app", "app", "import-wxr", str(export)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment,
        start_new_session=True,
    )
