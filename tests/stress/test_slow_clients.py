"""Slow clients against the production stack: the real nginx running deploy/nginx.conf in front
of gunicorn's two sync workers (deploy/gunicorn.conf.py). Fifty clients trickle their requests a
byte a second, half of them their headers, half a comment's body; behind nginx a reader's page
still comes at once, while straight against gunicorn the same clients hold both workers and the
reader waits. And HSTS is sent over HTTPS only, on every kind of answer."""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import time
from contextlib import closing, suppress

import pytest

from tests.support.nginx import Nginx
from tests.support.production_server import Gunicorn, new_site

SLOW_CLIENTS = 50
BODY_LENGTH = 100_000  # a comment form that would take a day to arrive
FAST = 1.0  # the longest a reader may wait for a page behind nginx, in seconds
PATIENCE = 3.0  # straight against gunicorn, a reader who waited this long got nothing
READS = 5
POST = "/posts/busy/"
# A cookie sends the reader past nginx's micro-cache, to the app's workers.
READER = {"Cookie": "reader=1"}
HSTS = "Strict-Transport-Security"


class SlowClients:
    """`count` connections to a port that each send one byte a second, from one thread, until
    closed: half a page request's headers, half a comment POST whose headers come whole and
    whose BODY_LENGTH-byte body then trickles."""

    def __init__(self, port: int, count: int = SLOW_CLIENTS) -> None:
        headers = f"GET {POST} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "s" * 200
        post = (
            f"POST {POST}comments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {BODY_LENGTH}\r\n\r\nname=Slow&body="
        )
        self.sockets, self.pending = [], []
        for n in range(count):
            connection = socket.create_connection(("127.0.0.1", port), timeout=1)
            self.sockets.append(connection)
            if n % 2:
                connection.sendall(post.encode())
                self.pending.append(b"a" * (BODY_LENGTH - len("name=Slow&body=")))
            else:
                self.pending.append(headers.encode())
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.trickle)
        self.thread.start()

    def trickle(self) -> None:
        sent = 0
        while not self.stopped.is_set():
            for connection, data in zip(self.sockets, self.pending, strict=True):
                with suppress(OSError):  # dropped by the server: nothing more to send
                    connection.send(data[sent : sent + 1])
            sent += 1
            self.stopped.wait(1)

    def waiting(self) -> int:
        """How many still wait: neither an answer nor a close has come to them."""
        readable, _, _ = select.select(self.sockets, [], [], 0)
        return len(self.sockets) - len(readable)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        for connection in self.sockets:
            connection.close()


def read_page(
    port: int, *, timeout: float, path: str = POST, tls: ssl.SSLContext | None = None
) -> tuple[float, http.client.HTTPResponse]:
    """A reader's GET on a connection of its own (over HTTPS with `tls`): the seconds it took
    and the response, read to the end. Raises TimeoutError when no answer comes in `timeout`."""
    if tls:
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=tls)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    with closing(connection):
        connection.request("GET", path, headers=READER)
        response = connection.getresponse()
        response.read()
    return time.monotonic() - started, response


@pytest.fixture
def gunicorn(tmp_path):
    """The production server with deploy/gunicorn.conf.py's two sync workers."""
    server = Gunicorn(new_site(tmp_path), workers=2)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def nginx(gunicorn, tmp_path):
    proxy = Nginx(gunicorn, tmp_path / "nginx", https=True)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def test_slow_clients_behind_nginx_hold_no_worker(nginx):
    clients = SlowClients(nginx.port)
    try:
        time.sleep(1.5)  # every slow client has sent its first bytes, and waits
        seconds = []
        for _ in range(READS):
            try:
                took, response = read_page(nginx.port, timeout=PATIENCE)
            except TimeoutError:
                pytest.fail(f"behind nginx, a reader got no page in {PATIENCE} s")
            assert response.status == 200
            # From the app, not nginx's micro-cache: a worker was free to answer.
            assert response.getheader("X-Cache-Status") == "BYPASS"
            seconds.append(took)
        waiting = clients.waiting()
    finally:
        clients.close()
    print(f"behind nginx, {SLOW_CLIENTS} slow clients: a reader's page in {max(seconds):.3f} s")
    assert waiting == SLOW_CLIENTS, "the slow clients should still be waiting"
    assert max(seconds) < FAST, seconds


def test_slow_clients_straight_against_gunicorn_stall_a_reader(gunicorn):
    """The contrast: the test above can fail. Without nginx, two slow clients take gunicorn's
    two workers until its 30 s timeout, and a reader waits behind them."""
    took, response = read_page(gunicorn.port, timeout=PATIENCE)
    assert response.status == 200 and took < FAST  # before the slow clients come
    clients = SlowClients(gunicorn.port)
    try:
        time.sleep(1.5)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            read_page(gunicorn.port, timeout=PATIENCE)
        waited = time.monotonic() - started
        waiting = clients.waiting()
    finally:
        clients.close()
    print(f"straight against gunicorn, {SLOW_CLIENTS} slow clients: no page in {waited:.1f} s")
    assert waiting == SLOW_CLIENTS


def test_hsts_only_over_https_on_every_kind_of_answer(nginx, gunicorn):
    uploads = gunicorn.site.folder / "instance" / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    answers = {
        POST: 200,  # the app, through the micro-cache's location
        "/no-such-page/": 404,  # the app's own error page
        "/static/css/site.css": 200,
        "/media/picture.png": 200,
        "/media/missing.png": 404,  # nginx's own error page
    }
    tls = ssl.create_default_context(cafile=nginx.certificate)
    seen = []
    for path, status in answers.items():
        _, plain = read_page(nginx.port, timeout=PATIENCE, path=path)
        _, secure = read_page(nginx.tls_port, timeout=PATIENCE, path=path, tls=tls)
        assert plain.status == secure.status == status, path
        hsts = [answer.headers.get_all(HSTS) for answer in (plain, secure)]
        seen.append((path, *hsts))
    assert seen == [(path, None, ["max-age=31536000"]) for path in answers]
