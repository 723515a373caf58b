"""`doudi serve --workers 2`: two worker processes behind one port, each with its own runtime,
answering as one server — a local setting stored through one is read through the other within
the provider's one-second revision check (SQLite, the default database)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.api_households import set_input

CLI = [sys.executable, "-c", "from core.cli import main; main()"]
COUNTY = "140302"  # 城区, Yangquan
PATH = "dibao.standard.urban"
READ = f"""query {{ policy(jurisdiction: "{COUNTY}", asOf: "2024-06-01") {{
    parameter(path: "{PATH}") {{ value }} }} }}"""
SET = """mutation($input: SetLocalParameterInput!) { setLocalParameter(input: $input) {
    setting { id } userErrors { code message } } }"""


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(c) for c in text)
    return found


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc for the workers")
def test_two_workers_answer_as_one_server(tmp_path: Path) -> None:
    env = dict(os.environ, DOUDI_DATA_DIR=str(tmp_path))
    env.pop("DOUDI_DATABASE_URL", None)
    added = _cli(env, "users", "add", "approver", "--role", "county_approver",
                 "--jurisdiction", COUNTY, "--json")  # fmt: skip
    token = json.loads(added)["token"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        assert len(_children(server.pid)) >= 2  # uvicorn's supervisor and its two workers

        with httpx.Client(base_url=base, timeout=30) as http:

            def value() -> object:
                # a new connection each time: the kernel spreads them over both workers
                r = httpx.post(base + "/graphql", json={"query": READ}, timeout=30)
                return r.json()["data"]["policy"]["parameter"]["value"]

            before = {value() for _ in range(6)}
            assert len(before) == 1 and 1234 not in before
            answer = http.post(
                "/graphql",
                json={"query": SET, "variables": set_input(COUNTY, PATH, 1234, "2024-01-01")},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
            assert answer["data"]["setLocalParameter"]["userErrors"] == [], answer
            time.sleep(1.5)  # the other worker's provider asks for the revision once a second
            assert {value() for _ in range(10)} == {1234}
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    text = (tmp_path / "serve.log").read_text()
    assert "2 worker processes" in text
    assert "Traceback" not in text, text
