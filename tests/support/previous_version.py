"""The code of the version before the newest migration, from the project's git history: what a
live site still runs while its operator upgrades the database under it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest

from cms import PROJECT_ROOT

# What the server imports and reads: the package, its templates and static files.
SERVED = ("cms", "templates", "static")


def git(*args: str) -> bytes:
    result = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, timeout=60, check=False
    )
    if result.returncode != 0:
        pytest.skip(f"git {' '.join(args)}: {result.stderr.decode().strip()}")
    return result.stdout


def previous_code(head_migration: Path, into: Path) -> Path:
    """Extract into `into` the served files as they were just before `head_migration` was added
    to the main line, with their catalogues compiled; skips when there is no such history (not a
    git checkout, or a shallow one)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the previous version comes from the project's history")
    relative = head_migration.relative_to(PROJECT_ROOT).as_posix()
    added = git("log", "--first-parent", "-m", "--diff-filter=A", "--format=%H", "--", relative)
    if not added.split():
        pytest.skip(f"{relative} is not in the project's history")
    commit = added.split()[-1].decode()
    archive = git("archive", "--format=tar", f"{commit}^1", *SERVED)
    into.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    pybabel = str(Path(sys.executable).parent / "pybabel")
    catalogues = str(into / "cms" / "translations")
    compiled = subprocess.run(
        [pybabel, "compile", "--domain", "messages", "--use-fuzzy", "--directory", catalogues],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr.decode()
    return into
