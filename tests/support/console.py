"""The console in a real browser: the served app (``Served``) and a browser tab (``Tab``) the
console's tests drive; their fixtures are in ``tests/console/conftest.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("DOUDI_ARTIFACTS", ROOT / "artifacts" / "console"))
AXE = ROOT / "tests" / "console" / "vendor" / "axe.min.js"
PASSWORD = "an example password for the demo"  # set by the fixture, never shipped


@dataclass
class Served:
    url: str
    data_dir: Path
    env: dict[str, str]

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-c", "from core.cli import main; main()", *args],
            env=self.env, input=stdin, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def graphql(self, query: str, variables: dict[str, Any] | None = None,
                token: str | None = None, timeout: float = 30) -> dict[str, Any]:  # fmt: skip
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=timeout) as r:
            result: dict[str, Any] = json.loads(r.read())
        return result

    def sign_in(self, name: str, password: str = PASSWORD) -> dict[str, Any]:
        q = """mutation($n: String!, $p: String!) { signIn(name: $n, password: $p) {
            token expiresAt me { id name role permissions sessionExpiresAt
            jurisdiction { code name level } } userErrors { code message } } }"""
        payload = self.graphql(q, {"n": name, "p": password})["data"]["signIn"]
        assert payload["token"], payload["userErrors"]
        return {"token": payload["token"], "expiresAt": payload["expiresAt"], "me": payload["me"]}


@dataclass
class Tab:
    """A page in a fresh context, with what it logged and what it tried to reach outside."""

    page: Any
    served: Served
    name: str
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    shots: int = 0

    def go(self, path: str) -> Any:
        self.page.goto(self.served.url + path)
        self.settle()
        return self.page

    def settle(self) -> None:
        """Wait until the page's queries have answered (no loading indicator left)."""
        self.page.wait_for_load_state("networkidle")
        self.page.locator("h1").first.wait_for()
        self.page.locator(".loading").first.wait_for(state="detached", timeout=15000)

    def shot(self, label: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def sign_in_as(self, name: str) -> None:
        """A session as the console keeps it (signIn over the API, then localStorage)."""
        session = self.served.sign_in(name)
        self.page.goto(self.served.url + "/explorer")
        self.page.evaluate("s => localStorage.setItem('doudi.session', s)", json.dumps(session))

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is."""
        # Evaluated through the DevTools protocol: the console's CSP (rightly) refuses inline
        # scripts, and the test must not weaken it.
        self.page.evaluate(AXE.read_text() + "\n;undefined")
        result = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        return [v for v in result if v["impact"] in ("serious", "critical")]


