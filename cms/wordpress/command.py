"""`flask import-wxr`: the import from the command line, with its report."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from .importer import import_wxr
from .records import WXRError


@click.command("import-wxr")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be imported, and save nothing.")
@click.option("--verbose", "-v", is_flag=True, help="List every skipped item.")
@with_appcontext
def import_wxr_command(file: Path, dry_run: bool, verbose: bool) -> None:
    """Import a WordPress export (Tools > Export in WordPress): posts, pages and comments."""
    try:
        # Post addresses are built with url_for, which needs a request outside of SERVER_NAME.
        with current_app.test_request_context():
            report = import_wxr(file, dry_run=dry_run)
    except WXRError as err:
        raise click.ClickException(f"{err}. Nothing was imported.") from err
    except SQLAlchemyError as err:
        raise click.ClickException(
            f"The import failed and was undone, nothing was saved: {err.__class__.__name__}: "
            f"{getattr(err, 'orig', None) or err}"
        ) from err
    for line in report.lines(verbose=verbose):
        click.echo(line)
    click.echo("Dry run: nothing was saved." if dry_run else "Import complete.")
