"""A small Chrome DevTools Protocol client for the browser tests (Debian's chromium, no browser download).

Starts chromium headless with a fresh profile and a free debugging port, talks to it over one
WebSocket in flattened-session mode, and records every console message, uncaught exception and
log entry of the page so that tests can assert there were none.
"""
from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    "--remote-debugging-port=0",
)


class BrowserError(RuntimeError):
    """The browser could not be started or answered a command with an error."""


def find_chromium() -> str | None:
    """The chromium executable: $EDCERT_CHROMIUM, else the first candidate on PATH."""
    explicit = os.environ.get("EDCERT_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Problem:
    """Something the page reported that a clean page never does."""

    kind: str
    text: str


@dataclass
class Page:
    browser: Browser
    session: str
    problems: list[Problem] = field(default_factory=list)

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def set_viewport(self, width: int, height: int) -> None:
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def goto(self, url: str, timeout: float = 30) -> None:
        """Navigate and wait for the load event."""
        self.browser.drain(self.session)
        answer = self.send("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise BrowserError(f"navigating to {url}: {answer['errorText']}")
        self.browser.wait_event("Page.loadEventFired", self.session, timeout)
        # let late console messages and exceptions arrive
        self.evaluate("new Promise(r => setTimeout(r, 100))", await_promise=True)

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        """The value of a JavaScript expression in the page (CDP evaluation is not subject to the page's CSP)."""
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": await_promise})
        if "exceptionDetails" in answer:
            raise BrowserError(f"evaluating {expression!r}: {answer['exceptionDetails'].get('text')}")
        return answer.get("result", {}).get("value")

    def screenshot(self, path: Path, *, full_page: bool = False) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            metrics = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": metrics["width"], "height": metrics["height"], "scale": 1}
        data = self.send("Page.captureScreenshot", params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def pdf(self) -> bytes:
        """The page printed to PDF (US Letter, backgrounds on), as the browser's print dialog would."""
        answer = self.send("Page.printToPDF", {"paperWidth": 8.5, "paperHeight": 11, "printBackground": True,
                                               "preferCSSPageSize": True}, timeout=60)
        return base64.b64decode(answer["data"])


class Browser:
    """One headless chromium with a throw-away profile; use as a context manager."""

    def __init__(self, executable: str, *, start_timeout: float = 30) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="edcert-chromium-")
        self._log = open(Path(self._profile.name) / "chromium.log", "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
        )
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []
        self.pages: dict[str, Page] = {}
        try:
            self._ws = websocket.create_connection(self._endpoint(start_timeout), timeout=start_timeout,
                                                   suppress_origin=True)
        except Exception:
            self.close()
            raise

    def _endpoint(self, timeout: float) -> str:
        marker = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError(f"chromium exited with {self.process.returncode}: {self.log_tail()}")
            if marker.exists():
                lines = marker.read_text().split()
                if len(lines) >= 2:
                    return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.05)
        raise BrowserError(f"chromium did not open its debugging port within {timeout}s: {self.log_tail()}")

    def log_tail(self) -> str:
        self._log.flush()
        text = (Path(self._profile.name) / "chromium.log").read_text(errors="replace")
        return text[-2000:]

    def _record(self, message: dict[str, Any]) -> None:
        page = self.pages.get(message.get("sessionId", ""))
        method, params = message.get("method", ""), message.get("params", {})
        if page is not None:
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                page.problems.append(Problem(f"console.{params['type']}", text))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                page.problems.append(Problem("exception", str(details.get("exception", {}).get("description")
                                                              or details.get("text"))))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
                entry = params["entry"]
                page.problems.append(Problem(f"log.{entry['level']}", f"{entry.get('source')}: {entry.get('text')}"))
        self._events.append(message)

    def _receive(self, deadline: float) -> dict[str, Any]:
        self._ws.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            message: dict[str, Any] = json.loads(self._ws.recv())
        except websocket.WebSocketTimeoutException:
            raise BrowserError("chromium did not answer in time") from None
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == ident:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error'].get('message')}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self._record(answer)

    def wait_event(self, method: str, session: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for n, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    del self._events[n]
                    return event
            self._record(self._receive(deadline))

    def drain(self, session: str) -> None:
        self._events = [e for e in self._events if e.get("sessionId") != session]

    def new_page(self, width: int = 1280, height: int = 900) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        self.pages[session] = page
        for domain in ("Page", "Runtime", "Log"):
            page.send(f"{domain}.enable")
        page.set_viewport(width, height)
        return page

    def close(self) -> None:
        ws = getattr(self, "_ws", None)
        if ws is not None:
            with contextlib.suppress(BrowserError, OSError, websocket.WebSocketException):
                self.send("Browser.close", timeout=5)
            ws.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        # chromium's helper processes (crash handler, zygote) outlive the browser for a moment and may still
        # write to the profile while it is removed ("Directory not empty"): try again shortly
        for attempt in range(20):
            try:
                self._profile.cleanup()
                return
            except OSError:
                if attempt == 19:
                    raise
                time.sleep(0.1)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
