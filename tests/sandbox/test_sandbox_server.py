"""SandboxServer: a real uvicorn on loopback, started and stopped many times in one process."""
from __future__ import annotations

import socket
import time

import httpx
import pytest
import uvicorn

from edcert.fixtures.districts import District
from edcert.sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SandboxServer,
    sandbox_credentials,
)

from .conftest import BASE, CLIENT_ID, CLIENT_SECRET, make_app


def test_start_stop_many_times(district: District) -> None:
    app = make_app(district)
    ports = set()
    with httpx.Client(timeout=5) as client:
        for _ in range(10):
            with SandboxServer(app) as server:
                running_inside = server.running
                assert server.base_url.startswith("http://127.0.0.1:")
                r = client.post(server.base_url + "/oauth/token", data={"grant_type": "client_credentials"},
                                auth=(CLIENT_ID, CLIENT_SECRET))
                assert r.status_code == 200
                ports.add(server.port)
            assert (running_inside, server.running) == (True, False)
            with pytest.raises(httpx.ConnectError):
                client.get(server.base_url + BASE + "/orgs")
    assert len(ports) > 1


def test_stop_is_idempotent_and_closes_keep_alive_connections(district: District) -> None:
    server = SandboxServer(make_app(district)).start()
    client = httpx.Client(base_url=server.base_url)
    assert client.get(BASE + "/orgs").status_code == 401  # a kept-alive connection stays open
    started = time.monotonic()
    server.stop()
    server.stop()
    assert time.monotonic() - started < 3
    client.close()
    with pytest.raises(RuntimeError, match="only once"):
        server.start()


def test_given_port_and_port_in_use(district: District) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with SandboxServer(make_app(district), port=port) as server:
        assert server.base_url == f"http://127.0.0.1:{port}"
        with pytest.raises(RuntimeError, match="cannot listen"):
            SandboxServer(make_app(district), port=port).start()


def test_base_url_needs_a_started_server(district: District) -> None:
    server = SandboxServer(make_app(district))
    assert "new" in repr(server)
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.base_url
    server.stop()  # stopping a server that never ran is harmless


def test_startup_failure_is_reported(district: District, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_run(self: uvicorn.Server, sockets: object = None) -> None:
        raise OSError("no event loop for you")

    monkeypatch.setattr(uvicorn.Server, "run", broken_run)
    server = SandboxServer(make_app(district), startup_timeout=5)
    with pytest.raises(RuntimeError, match=r"failed to start.*no event loop"):
        server.start()
    server.stop()


def test_startup_timeout(district: District, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow_run(self: uvicorn.Server, sockets: object = None) -> None:
        while not self.should_exit:
            time.sleep(0.01)

    monkeypatch.setattr(uvicorn.Server, "run", slow_run)
    server = SandboxServer(make_app(district), startup_timeout=0.2)
    with pytest.raises(RuntimeError, match="did not start within"):
        server.start()
    assert not server.running


def test_sandbox_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDCERT_SANDBOX_CLIENT_ID", raising=False)
    monkeypatch.delenv("EDCERT_SANDBOX_CLIENT_SECRET", raising=False)
    assert sandbox_credentials() == (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET) == (
        "edcert-sandbox", "edcert-sandbox-secret",
    )
    monkeypatch.setenv("EDCERT_SANDBOX_CLIENT_ID", "someone")
    monkeypatch.setenv("EDCERT_SANDBOX_CLIENT_SECRET", "s3cret")
    assert sandbox_credentials() == ("someone", "s3cret")
