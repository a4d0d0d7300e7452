"""Gunicorn settings for Causerie: `gunicorn -c deploy/gunicorn.conf.py app:app`."""

import os
import sys

# Only nginx, on the same machine, talks to the app; it is never exposed directly.
bind = os.environ.get("CAUSERIE_BIND", "127.0.0.1:8000")

# Sync workers: each handles one request at a time, which suits short server-rendered pages.
# Two suit a small VPS; WEB_CONCURRENCY (gunicorn's own variable) changes it.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

# A request still running after `timeout` seconds gets its worker restarted; a restart or a
# stop lets requests in flight finish for `graceful_timeout` seconds.
timeout = 30
graceful_timeout = 30
# nginx keeps its own connections to browsers: a short keep-alive towards it is enough.
keepalive = 5

# Each worker is replaced after about a thousand requests, at staggered moments, which bounds
# the memory a slow leak (in the app or a library) can take.
# Not every thousand: a cached page is served in a fraction of a millisecond, so at a few
# thousand requests a second the workers would spend their time starting again (bench/README.md).
max_requests = 100_000
max_requests_jitter = 10_000

# The app is built in each worker, after the fork: no database connection is opened by the
# master and then shared by several processes.
preload_app = False

# Logs go to standard output and error: journald (systemd) keeps and rotates them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("CAUSERIE_LOG_LEVEL", "info")
proc_name = "causerie"

# gunicorn itself believes no X-Forwarded-* header: the app alone decides, trusting as many
# proxies as CMS_PROXY_COUNT says (1 behind nginx, set by deploy/causerie.service).
forwarded_allow_ips = ""


def post_fork(server, worker):
    """With preload_app turned on, connections opened in the master must not be shared."""
    module = sys.modules.get("app")
    if module is not None and hasattr(module, "app"):
        from cms.extensions import db

        with module.app.app_context():
            db.engine.dispose(close=False)
