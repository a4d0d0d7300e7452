"""Free space where the site writes, each filesystem measured where it really is."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .database import sqlite_database_file

MB = 1024 * 1024


@dataclass(frozen=True)
class Space:
    """One filesystem the site writes to: what it holds ("database", "uploads"), the folder
    measured, and the bytes an unprivileged process may still use there."""

    holds: str
    folder: Path
    free_bytes: int

    @property
    def free_mb(self) -> int:
        return self.free_bytes // MB


def nearest_existing(folder: Path) -> Path:
    """`folder`, or its nearest ancestor that exists (where a folder not created yet would go)."""
    folder = folder.resolve()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def free_space(folders: dict[str, Path]) -> list[Space]:
    """The free space of each filesystem holding one of `folders` (named by what they hold), one
    entry per filesystem: folders sharing one are named together ("database and uploads")."""
    spaces: dict[int, Space] = {}
    for holds, folder in folders.items():
        measured = nearest_existing(folder)
        device = measured.stat().st_dev
        stats = os.statvfs(measured)
        free = stats.f_bavail * stats.f_frsize  # what is left without root's reserve
        if device in spaces:
            known = spaces[device]
            spaces[device] = Space(f"{known.holds} and {holds}", known.folder, known.free_bytes)
        else:
            spaces[device] = Space(holds, measured, free)
    return list(spaces.values())


def short_of_space(spaces: list[Space], minimum_mb: int) -> list[Space]:
    """The filesystems among `spaces` with less than `minimum_mb` free."""
    return [space for space in spaces if space.free_bytes < minimum_mb * MB]


def where_the_site_writes(uploads: Path) -> dict[str, Path]:
    """The folders whose filesystems must have room: the SQLite database's (its WAL and -shm
    files sit beside it, wherever it is), and `uploads`. A server database's disk is the
    server's to watch."""
    folders = {}
    if (database := sqlite_database_file()) is not None:
        folders["database"] = database.parent
    folders["uploads"] = uploads
    return folders
