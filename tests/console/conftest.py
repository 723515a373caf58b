"""The console in a real browser: the distribution's Chromium driven by Playwright.

One served app per session (``doudi serve`` in a subprocess, on a free port, with an SQLite
database in a temporary directory and ``doudi demo load``'s data), one browser per module, a
fresh browser context per test. Every request to anything but the served app is aborted and
counted (the console must not try to reach the internet), and every console error fails the
test. A screenshot of each page a test visits is kept under ``$DOUDI_ARTIFACTS`` (default
``artifacts/console`` in the repository; not committed).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.console import ARTIFACTS, PASSWORD, ROOT, Served, Tab

CHROMIUM = os.environ.get("DOUDI_CHROMIUM", "/usr/bin/chromium")
DEMO_NAMES = ("yq-clerk", "yq-township", "yq-county", "jq-township", "jq-county", "sx-admin",
              "sx-auditor")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`doudi demo load`, passwords for the demo officials, then `doudi serve`."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # this run's screenshots only
    data = tmp_path_factory.mktemp("console-data")
    env = {k: v for k, v in os.environ.items() if k != "DOUDI_DATABASE_URL"}
    env["DOUDI_DATA_DIR"] = str(data)
    env["PYTHONPATH"] = str(ROOT)
    port = _free_port()
    s = Served(f"http://127.0.0.1:{port}", data, env)
    s.cli("demo", "load")
    for name in DEMO_NAMES:
        s.cli("users", "passwd", name, "--password-stdin", stdin=PASSWORD + "\n")
    log = (data / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from core.cli import main; main()", "serve", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{s.url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((data / "serve.log").read_text())
            time.sleep(0.2)
        yield s
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# Module scope: Playwright's sync API keeps an event loop running in this thread while the
# browser is open, which the other tests' asyncio.Runner cannot run under.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def tab(browser: Any, served: Served, request: pytest.FixtureRequest) -> Iterator[Tab]:
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    t = Tab(context.new_page(), served, request.node.name.replace("[", "-").replace("]", ""))
    origin = served.url

    def route(r: Any) -> None:
        if r.request.url.startswith(origin):
            r.continue_()
        else:
            t.outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    t.page.on("console", lambda m: m.type == "error" and t.errors.append(m.text))
    t.page.on("pageerror", lambda e: t.errors.append(f"uncaught: {e}"))
    t.page.set_default_timeout(20000)
    try:
        yield t
        assert t.outside == [], f"the page tried to reach outside: {t.outside}"
        assert t.errors == [], f"console errors: {t.errors}"
    finally:
        context.close()

