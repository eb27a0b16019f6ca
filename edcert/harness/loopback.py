"""Serve an ASGI app with uvicorn on loopback, in a background thread.

A generic runner: the sandbox serves its reference vendors with it, and the LTI suites serve edcert's own
endpoints with it (its test platform for tools, its tool for platforms). It lives in the harness so the
suites need not import the sandbox; ``edcert.sandbox.server`` re-exports it under its old name.
"""
from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp


class SandboxServer:
    """Run ``app`` under uvicorn on ``host:port`` (port 0 = a free port) in a daemon thread.

    The socket is bound here, before the thread starts, so ``base_url`` is known
    (and the port taken) as soon as ``start()`` returns. ``start()`` waits until
    uvicorn serves, at most ``startup_timeout`` seconds. ``stop()`` is idempotent.
    With ``ssl_certfile`` and ``ssl_keyfile`` (PEM) it serves HTTPS and ``base_url``
    says ``https://``; ``url_host`` is the host name ``base_url`` uses (default:
    ``host``), e.g. ``localhost`` to test a certificate issued for another name.
    Use as a context manager::

        with SandboxServer(create_app(...)) as server:
            httpx.get(server.base_url + "/...")
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 10.0,
        shutdown_timeout: float = 5.0,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        url_host: str | None = None,
    ) -> None:
        if (ssl_certfile is None) != (ssl_keyfile is None):
            raise ValueError("give both ssl_certfile and ssl_keyfile, or neither")
        self.app = app
        self.host = host
        self.port = port
        self.ssl_certfile = ssl_certfile
        self.ssl_keyfile = ssl_keyfile
        self.url_host = url_host or host
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._error: BaseException | None = None
        self._stopped = False

    @property
    def base_url(self) -> str:
        if self._sock is None:
            raise RuntimeError("the sandbox server is not started")
        scheme = "https" if self.ssl_certfile else "http"
        return f"{scheme}://{self.url_host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopped

    def start(self) -> SandboxServer:
        if self._thread is not None or self._stopped:
            raise RuntimeError("a SandboxServer can be started only once")
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
        # and without it small responses wait ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            raise RuntimeError(f"cannot listen on {self.host}:{self.port}: {exc}") from exc
        self._sock = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            loop="asyncio",
            http="h11",
            interface="asgi3",
            timeout_graceful_shutdown=int(max(1, self.shutdown_timeout)),
            ssl_certfile=self.ssl_certfile,
            ssl_keyfile=self.ssl_keyfile,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"edcert-sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self._close_socket()
                raise RuntimeError(f"the sandbox server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"the sandbox server did not start within {self.startup_timeout:g}s on {self.base_url}"
                )
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._sock is not None
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # reported by start()
            self._error = exc

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(self.shutdown_timeout + 2)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(2)
        self._close_socket()

    def _close_socket(self) -> None:
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> SandboxServer:
        if self._thread is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else ("stopped" if self._stopped else "new")
        where = f"{self.host}:{self.port}"
        return f"<SandboxServer {where} {state}>"
