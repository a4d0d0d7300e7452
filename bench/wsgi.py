"""Causerie for the benchmark: the production app (`app:app`) with the bench site's instance folder."""

import os

from cms import create_app

app = create_app(instance_path=os.environ["CAUSERIE_BENCH_INSTANCE"])
