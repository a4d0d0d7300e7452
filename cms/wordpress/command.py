"""`flask import-wxr`: the import from the command line, with a progress bar and its report."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from ..kernel.text import counted
from .importer import import_wxr
from .records import WXRError, WXRItem


@contextmanager
def _progress_bar(items: Sequence[WXRItem]) -> Iterator[Iterator[WXRItem]]:
    """A bar on the terminal (on stderr, the report stays alone on stdout) while items render."""
    label = f"Rendering {counted(len(items), 'post or page', 'posts and pages')}"
    with click.progressbar(items, label=label, file=sys.stderr) as bar:
        yield bar


@click.command("import-wxr")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be imported, and save nothing.")
@click.option("--verbose", "-v", is_flag=True, help="List every skipped item.")
@with_appcontext
def import_wxr_command(file: Path, dry_run: bool, verbose: bool) -> None:
    """Import a WordPress export (Tools > Export in WordPress): posts, pages and comments.

    Safe beside a running site: everything is rendered first, then written in one short
    transaction (all or nothing)."""
    try:
        # Post addresses are built with url_for, which needs a request outside of SERVER_NAME.
        with current_app.test_request_context():
            report = import_wxr(file, dry_run=dry_run, progress=_progress_bar)
    except WXRError as err:
        raise click.ClickException(f"{err}. Nothing was imported.") from err
    except SQLAlchemyError as err:
        raise click.ClickException(
            f"The import failed and was undone, nothing was saved: {err.__class__.__name__}: "
            f"{getattr(err, 'orig', None) or err}"
        ) from err
    for line in report.lines(verbose=verbose):
        click.echo(line)
    if dry_run:
        click.echo("Dry run: nothing was saved.")
    else:
        click.echo(f"Import complete. Written in one transaction of {report.write_seconds:.2f} s.")
