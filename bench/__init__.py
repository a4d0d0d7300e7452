"""Causerie's benchmark: builds a realistic site, serves it with gunicorn and nginx, loads it with wrk."""
