"""Finding a real Redis for the tests, or starting a private one.

The rule: use the configured server if it answers; otherwise start a private `redis-server` if
the binary is installed; otherwise skip, except on CI, where silently skipping would hide that
the Redis backend went untested, so fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import redis

DEFAULT_URL = "redis://127.0.0.1:6379/15"
URL_VARIABLE = "BLOGBOT_TEST_REDIS_URL"

Plan = Literal["use", "start", "skip", "fail"]


def decide(*, ci: bool, reachable: bool, binary_present: bool) -> Plan:
    if reachable:
        return "use"
    if binary_present:
        return "start"
    return "fail" if ci else "skip"


def running_on_ci(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    return environ.get("CI", "").strip().lower() in ("true", "1")


def configured_url() -> str:
    return os.environ.get(URL_VARIABLE) or DEFAULT_URL


def reachable(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def how_to_run(url: str) -> str:
    return (
        f"no Redis answers at {_without_secrets(url)} and no redis-server binary is on PATH; "
        f"install redis-server (e.g. `apt-get install redis-server`) or set {URL_VARIABLE} "
        f"(default {DEFAULT_URL}) to a reachable server to run the Redis backend tests"
    )


def _without_secrets(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the configured URL"
    # Drop user-info and query: either may hold the password.
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


@dataclass
class PrivateRedis:
    """A throwaway redis-server: no persistence, loopback only, on an unused port."""

    process: subprocess.Popen[bytes]
    url: str

    @classmethod
    def start(cls, binary: str, workdir: Path, attempts: int = 3) -> PrivateRedis:
        problem = "not started"
        for _ in range(attempts):  # another process may grab the free port before we bind it
            port = _free_port()
            process = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(workdir)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            url = f"redis://127.0.0.1:{port}/15"
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and process.poll() is None:
                if reachable(url):
                    return cls(process, url)
                time.sleep(0.02)
            problem = f"redis-server exited with {process.poll()} on port {port}"
            _stop(process)
        raise RuntimeError(f"could not start a private redis-server: {problem}")

    def stop(self) -> None:
        _stop(self.process)


def find_binary() -> str | None:
    return shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
