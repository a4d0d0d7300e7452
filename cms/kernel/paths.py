"""Where the project sits on disk: the folder that holds cms/, templates/, static/ and migrations/."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
