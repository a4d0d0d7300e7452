"""The real production server (gunicorn with deploy/gunicorn.conf.py) on a loopback port, serving
a site in a temporary instance folder: shared by the deployment tests and the crash tests."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path
from urllib.parse import urlencode

from cms import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        connection.request(method, path, urlencode(body) if body else None, headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def write_site(tmp_path: Path, database: Path) -> None:
    """The instance's config.py (no comment delays or limits, so a load test is not refused) and
    a WSGI module building the app on that instance."""
    instance = tmp_path / "instance"
    (instance / "config.py").write_text(
        f"SECRET_KEY = 'concurrency-test-key'\n"
        f"SQLALCHEMY_DATABASE_URI = {f'sqlite:///{database}'!r}\n"
        "COMMENT_MIN_SECONDS = 0\nCOMMENT_RATE_LIMIT = 0\n"
    )
    (tmp_path / "site_wsgi.py").write_text(
        f"from cms import create_app\n\napp = create_app(instance_path={str(instance)!r})\n"
    )


def start_server(tmp_path: Path, port: int, log: Path, workers: int) -> subprocess.Popen:
    """gunicorn in a process group of its own (so the master and its workers can be killed at
    once), answering /healthz when this returns."""
    # The developer's own CMS_* settings must not reach the test server.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    environment["WEB_CONCURRENCY"] = str(workers)
    with log.open("ab") as output:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--config",
                str(DEPLOY / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--chdir",
                str(tmp_path),
                "site_wsgi:app",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if request(port, "GET", "/healthz")[0] == 200:
                    return server
            except OSError:
                pass
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "gunicorn did not start:\n" + log.read_text()
            time.sleep(0.05)
    except BaseException:
        kill_server(server)
        raise


def stop_server(server: subprocess.Popen) -> None:
    """A graceful stop (SIGTERM), then SIGKILL if it takes too long."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        kill_server(server)


def kill_server(server: subprocess.Popen) -> None:
    """SIGKILL to the master and every worker at once, as a power cut or the OOM killer would."""
    with suppress(ProcessLookupError):  # already gone
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()
