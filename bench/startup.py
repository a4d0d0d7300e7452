"""Start-up: what a gunicorn worker pays to build Causerie, against what importing the libraries
it loads costs by themselves, each in a fresh interpreter (median of a few runs)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from . import servers

# Prints the modules a worker holds once the app is built that are neither the standard
# library's nor Causerie's: the libraries, and every part of them that create_app() loaded.
_LOADED = """
import json, sys
from cms import create_app
create_app(instance_path={instance!r})
ours = ("cms", "bench", "__main__")
print(json.dumps(sorted(
    name for name in list(sys.modules)
    if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] not in ours
    and not name.startswith("_")
)))
"""

_IMPORT = """
import importlib, json, sys, time
names = json.loads(sys.stdin.read())
t, c = time.perf_counter(), time.process_time()
for name in names:
    try:
        importlib.import_module(name)
    except Exception:  # a module some library loads under another name, or only from inside
        pass
print(time.perf_counter() - t, time.process_time() - c)
"""

_APP = (
    "import time; t = time.perf_counter(); c = time.process_time(); from cms import "
    "create_app; create_app(instance_path={instance!r}); "
    "print(time.perf_counter() - t, time.process_time() - c)"
)


def _run(code: str, stdin: str = "") -> str:
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code],
        cwd=servers.PROJECT_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _median(runs: list[str]) -> tuple[float, float]:
    pairs = [tuple(float(x) for x in line.split()) for line in runs]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def startup_seconds(instance: str, repeat: int = 3) -> tuple[float, float]:
    """Median (wall, CPU) seconds of `import cms` + create_app(), as each worker does."""
    return _median([_run(_APP.format(instance=instance)) for _ in range(repeat)])


def libraries_seconds(instance: str, repeat: int = 3) -> tuple[float, float, int]:
    """Median (wall, CPU) seconds of importing, in a fresh interpreter, every library module
    a worker holds after create_app(), and how many modules that is."""
    names = _run(_LOADED.format(instance=instance))
    wall, cpu = _median([_run(_IMPORT, names) for _ in range(repeat)])
    return wall, cpu, len(json.loads(names))
