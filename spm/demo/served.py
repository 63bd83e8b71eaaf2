"""Jobs measured over HTTP: the app served by gunicorn, and a client that times requests.

Some costs exist only in a running server (authentication, middleware, serialisation,
the connection's round trips), so a suite may measure a request rate rather than a
function. ``served()`` starts the app as production runs it (gunicorn, ``WORKERS`` sync
workers, DEBUG off) on a free local port against the bench's own database, and stops it
afterwards; ``rate()`` sends requests from ``CONNECTIONS`` threads and returns the time
they took. The server sees only committed rows, so such jobs cannot run inside a
transaction (the test suite's): ``can_serve()`` says whether they can.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

WORKERS = 2
CONNECTIONS = 4  # Client threads: enough to keep both workers busy.
START_TIMEOUT = 120.0  # Seconds; importing the app (pandas) takes long on a busy machine.


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: object | None = None
    token: str = ""


def can_serve() -> bool:
    """Whether a separate server process would see this process's data: not inside a
    transaction, and not an in-memory SQLite database."""
    name = str(connection.settings_dict["NAME"])
    in_memory = connection.vendor == "sqlite" and (":memory:" in name or "mode=memory" in name)
    return not connection.in_atomic_block and not in_memory


def database_url() -> str:
    """The URL of the database this process uses (the server must use the same)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{db.get('HOST') or ''}{port}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served() -> Iterator[str]:
    """Run the app under gunicorn until the block ends; yields its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="spm-served-") as work:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "spm.settings.local"
            ),
            "DATABASE_URL": database_url(),
            "DEBUG": "0",
            "CELERY_BROKER_URL": "memory://",
            "STATIC_ROOT": work,
            "LOG_LEVEL": "WARNING",
        }
        log = open(Path(work) / "server.log", "w+b")  # noqa: SIM115 - read on failure below.
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen(
            [str(gunicorn), "spm.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(WORKERS), "--no-control-socket", "--timeout", "60"],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_until_up(base, server, log)
            try:
                yield base
            except RuntimeError as failed:  # A request failed: the server's log says why.
                raise RuntimeError(f"{failed}\nThe server's log ends:\n{_tail(log)}") from None
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


def _wait_until_up(base: str, server: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"{base}/api/v1/me/", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # It answers, whatever the status.
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"The app did not start:\n{_tail(log)}")


def _tail(log) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-3000:]


def send(base: str, request: Request) -> tuple[int, bytes]:
    """One request; returns its status and body."""
    data = None if request.body is None else json.dumps(request.body).encode()
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if request.token:
        headers["Authorization"] = f"Token {request.token}"
    outgoing = urllib.request.Request(
        base + request.path, data=data, headers=headers, method=request.method
    )
    try:
        with urllib.request.urlopen(outgoing, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def rate(base: str, requests: Sequence[Request], *, expect: int) -> float:
    """Send ``requests`` from ``CONNECTIONS`` threads; returns the seconds they took.
    Raises if any answers other than ``expect``: a failing request is not a fast one."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        answers = list(pool.map(lambda request: send(base, request), requests))
    seconds = time.perf_counter() - started
    wrong = [(status, body[:300]) for status, body in answers if status != expect]
    if wrong:
        raise RuntimeError(f"{len(wrong)} of {len(requests)} requests failed, e.g. {wrong[0]}")
    return seconds
