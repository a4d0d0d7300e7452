"""The lean reference for gunicorn (`bench.lean.wsgi:app`), on the bench instance's copy."""

import os

from . import from_instance

app = from_instance(os.environ["CAUSERIE_BENCH_INSTANCE"])
