"""The real server as a process on loopback (SQLite in a temp folder), for every test of the SDK."""

from __future__ import annotations

import base64
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[2]
# Import the package from the source tree: the hand-written layer and the generated code.
sys.path[:0] = [str(HERE.parent / "src"), str(HERE.parent / "generated"), str(HERE.parent / "examples")]


_next_port = random.randrange(12_000)


def _free_port() -> int:
    """A loopback port that is free now and stays free, from below Linux's ephemeral range (32768-60999):
    a client reconnecting to a stopped server could otherwise be given the server's own port as its
    local one, and an outgoing connection can take such a port at any moment."""
    global _next_port
    for _ in range(12_000):
        port = 20_000 + _next_port % 12_000
        _next_port += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free loopback port between 20000 and 31999")


def _server_dll() -> Path:
    if os.environ.get("TIMELY_SERVER_DLL"):
        return Path(os.environ["TIMELY_SERVER_DLL"])
    for configuration in ("Release", "Debug"):
        dll = REPOSITORY / "src/Timely.Server/bin" / configuration / "net10.0/timely-server.dll"
        if dll.exists():
            return dll
    raise RuntimeError("build the server first: dotnet build -c Release src/Timely.Server")


class Server:
    """One server process; `restart()` kills it and starts it again on the same port and database."""

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.target = f"127.0.0.1:{self.port}"
        self.api_key = "tly_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        self.folder = tempfile.mkdtemp(prefix="timely-py-")
        self.dll = _server_dll()
        self.environment = {
            **os.environ,
            "Kestrel__Endpoints__Grpc__Url": f"http://127.0.0.1:{self.port}",
            "Kestrel__Endpoints__Web__Url": f"http://127.0.0.1:{_free_port()}",
            "Storage__Sqlite__Path": os.path.join(self.folder, "timely.db"),
            "Auth__BootstrapAdminKey": self.api_key,
            "Limits__RequestsPerSecond": "1000000",
            "Limits__Burst": "1000000",
            "Logging__LogLevel__Default": "Warning",
            **(settings or {}),
        }
        self.log = os.path.join(self.folder, "server.log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:  # the child keeps its own copy of the file open
            self.process = subprocess.Popen(
                ["dotnet", str(self.dll)], cwd=self.dll.parent, env=self.environment, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start within 60 s")

    def output(self) -> str:
        """Everything the server wrote (stdout and stderr), across restarts."""
        with open(self.log, encoding="utf-8", errors="replace") as log:
            return log.read()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop_gracefully(self) -> None:
        """SIGTERM, as an orchestrator stops it: the server ends its streams with UNAVAILABLE and exits."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def serve(settings: dict[str, str] | None = None):
    """A started server (with extra `settings`, environment variables) for a fixture, removed after it."""
    s = Server(settings)
    s.start()
    yield s
    s.kill()
    shutil.rmtree(s.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    yield from serve()


@pytest.fixture
def fresh_server():
    """A server of its own, for a test that kills and restarts it."""
    yield from serve()
