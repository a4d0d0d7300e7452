"""Moving in from WordPress: the export (WXR) parser, the display filters it ports, and the importer
behind `flask import-wxr`.

It sits on top: it may import the features, the kernel (plumbing) and markup, and nothing imports
it but the app factory (cms/__init__.py), which calls init_app when a command line asks. Inside,
imports point down: records, then parser and filters, then content and report, then importer,
then command.
"""

from __future__ import annotations

from flask import Flask

from .command import import_wxr_command
from .content import comment_source, post_source
from .filters import has_blocks, strip_shortcodes, wpautop
from .importer import base_slug, import_wxr, wordpress_login
from .parser import parse_wxr
from .records import WXRAuthor, WXRComment, WXRError, WXRExport, WXRItem
from .report import ImportReport

__all__ = [
    "ImportReport",
    "WXRAuthor",
    "WXRComment",
    "WXRError",
    "WXRExport",
    "WXRItem",
    "base_slug",
    "comment_source",
    "has_blocks",
    "import_wxr",
    "import_wxr_command",
    "init_app",
    "parse_wxr",
    "post_source",
    "strip_shortcodes",
    "wordpress_login",
    "wpautop",
]


def init_app(app: Flask) -> None:
    """Add the `import-wxr` command."""
    app.cli.add_command(import_wxr_command)
