"""The real nginx running deploy/nginx.conf in front of a Gunicorn: the committed site file with
only its addresses and paths changed, on loopback ports, with its pid, logs, cache and
temporary files in a folder of its own; optionally an HTTPS listener with a throwaway
certificate, as certbot would add one."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import pytest

from cms import PROJECT_ROOT
from tests.support.production_server import DEPLOY, Gunicorn, free_port

TEMPORARY_FILES = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_binary() -> str:
    """nginx's path (and openssl, for the certificate, is there). When either is missing the
    test fails under make, whose test-stress target installs both, and is skipped when run by
    hand."""
    binary = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(path).exists()),
        None,
    )
    found = {"nginx": binary, "openssl": shutil.which("openssl")}
    missing = [name for name, path in found.items() if not path]
    if not missing:
        return binary
    reason = f"{' and '.join(missing)} not installed: `make nginx` installs Debian's packages"
    if "MAKELEVEL" in os.environ:
        pytest.fail(reason)
    pytest.skip(reason)


def replace_once(text: str, old: str, new: str) -> str:
    """`text` with its one `old` replaced: a deploy file that no longer has it fails the test
    rather than running something else."""
    assert text.count(old) == 1, f"deploy/nginx.conf should hold {old!r} once"
    return text.replace(old, new)


def site_config(
    prefix: Path, server: Gunicorn, port: int, tls: tuple[int, Path, Path] | None = None
) -> str:
    """deploy/nginx.conf serving `server`'s site on 127.0.0.1:`port` (and with `tls`, HTTPS on
    (port, certificate, key)), with the http {} around it that Debian's nginx.conf provides."""
    site = (DEPLOY / "nginx.conf").read_text()
    listen = f"listen 127.0.0.1:{port};"
    if tls:
        tls_port, certificate, key = tls
        listen += (
            f"\n    listen 127.0.0.1:{tls_port} ssl;"
            f"\n    ssl_certificate {certificate};\n    ssl_certificate_key {key};"
        )
    site = replace_once(site, "listen 80;\n    listen [::]:80;", listen)
    site = replace_once(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{server.port};")
    site = replace_once(site, "/var/cache/nginx/causerie", str(prefix / "cache"))
    site = replace_once(site, "/srv/causerie/instance/", f"{server.site.folder / 'instance'}/")
    site = site.replace("/srv/causerie/", f"{PROJECT_ROOT}/")
    assert "/srv/causerie/" not in site
    # As root, nginx's workers would run as nobody, who cannot read the test's folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temporary = "".join(
        f"    {kind}_temp_path {prefix / 'tmp' / kind};\n" for kind in TEMPORARY_FILES
    )
    return (
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    types { text/html html; text/css css; image/png png; image/svg+xml svg; }\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {prefix / 'access.log'};\n{temporary}\n{site}\n}}\n"
    )


def throwaway_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    request = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
    names = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(certificate)]
    subprocess.run(["openssl", *request.split(), *names, *files], check=True, capture_output=True)
    return certificate, key


class Nginx:
    """nginx in front of `server` (started already), in the foreground, in a process group of
    its own. `tls_port` and `certificate` are None unless asked for with `https=True`."""

    def __init__(self, server: Gunicorn, prefix: Path, *, https: bool = False) -> None:
        self.binary = nginx_binary()
        self.prefix = prefix
        self.port = free_port()
        self.tls_port = free_port() if https else None
        for kind in TEMPORARY_FILES:
            (prefix / "tmp" / kind).mkdir(parents=True, exist_ok=True)
        (prefix / "cache").mkdir(exist_ok=True)
        tls = (self.tls_port, *throwaway_certificate(prefix)) if https else None
        self.certificate = tls[1] if tls else None
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(site_config(prefix, server, self.port, tls))
        self.log = prefix / "nginx.out"
        self.process: subprocess.Popen | None = None

    def command(self, *options: str) -> list[str]:
        # -e: the error log from the start, before the configuration names one.
        paths = ["-p", str(self.prefix), "-c", str(self.conf), "-e", str(self.prefix / "error.log")]
        return [self.binary, *paths, *options]

    def check(self) -> str:
        """`nginx -t` on the generated configuration; its report."""
        result = subprocess.run(self.command("-t"), capture_output=True, text=True)
        assert result.returncode == 0, result.stderr + "\n" + self.conf.read_text()
        return result.stderr

    def start(self) -> None:
        """Check the configuration, start nginx, and return once it accepts connections."""
        self.check()
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command("-g", "daemon off;"),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 10
        while True:
            with suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError("nginx did not start:\n" + self.log.read_text())
            time.sleep(0.05)

    def stop(self) -> None:
        """A fast stop (SIGTERM: open connections are closed), SIGKILL if it lingers."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
