"""Start and stop the servers the benchmark loads: gunicorn (Causerie, hello-world) and nginx."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from . import procstat

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"
NGINX_CACHE_CONF = PROJECT_ROOT / "deploy" / "nginx-cache.conf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path
    extra_pids: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The master and its workers (and any helper process), for CPU accounting."""
        return [self.process.pid, *procstat.children(self.process.pid), *self.extra_pids]

    def workers(self) -> list[int]:
        return procstat.children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def wait_ready(server: Server, path: str = "/", timeout: float = 30) -> None:
    """Wait until the server answers HTTP on `path` (any status): fail if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited at start:\n{server.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + path, timeout=2):  # noqa: S310 (loopback)
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not answer within {timeout} s")


def gunicorn_command(app_spec: str, port: int, workers: int) -> list[str]:
    """Causerie's production server command: deploy/gunicorn.conf.py when the project ships
    one (the command line overrides its address, worker count and error log), else gunicorn's
    defaults: sync workers, no access log."""
    command = [sys.executable, "-m", "gunicorn"]
    if GUNICORN_CONF.exists():
        command += ["--config", str(GUNICORN_CONF)]
    command += [
        "--worker-class", "sync",
        "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}",
        "--error-logfile", "-",
        app_spec,
    ]  # fmt: skip
    return command


def start_gunicorn(
    name: str, app_spec: str, *, workers: int, log_dir: Path, env: dict[str, str] | None = None
) -> Server:
    port = free_port()
    log = log_dir / f"{name}.log"
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        gunicorn_command(app_spec, port, workers),
        cwd=PROJECT_ROOT,
        env=os.environ | {"PYTHONPATH": str(PROJECT_ROOT)} | (env or {}),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server(name, process, port, log)
    wait_ready(server)
    return server


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def nginx_config(prefix: Path, servers: str, *, workers: int) -> str:
    """A self-contained nginx.conf under `prefix`: its own pid file, logs and temporary paths."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    # deploy/nginx-cache.conf names this zone; production declares it the same way.
    zone = (
        f"proxy_cache_path {prefix}/cache levels=1:2 keys_zone=causerie:10m "
        "max_size=256m inactive=10m use_temp_path=off;\n"
    )
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/tmp/{kind};"  # noqa: S108 (under our own prefix)
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type application/octet-stream;
    types {{ text/html html; text/css css; image/svg+xml svg; }}
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
{temp}
    {zone}
{servers}
}}
"""


def start_nginx(prefix: Path, config: str) -> Server:
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed: run bench/install-tools")
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    (prefix / "cache").mkdir(exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(config, encoding="utf-8")
    log = prefix / "nginx.out"
    process = subprocess.Popen(  # noqa: S603
        [binary, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return Server("nginx", process, 0, log)
