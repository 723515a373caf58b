"""The audit key outside the database and the checkpoint log: where they come from, how they are
protected, when checkpoints are written, and the syslog copy."""

from __future__ import annotations

import json
import os
import secrets
import socket
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.audit.checkpoints import read_checkpoints
from core.audit.keys import AuditKeyError, load_key
from core.cli import cli
from core.households.store import create_household
from core.runtime import open_runtime
from core.settings import InvalidSetting, Settings, load_settings
from tests.support.audit_scene import WUHUA, id_number
from tests.support.cli import ok, one_error


def _household(rt, n: int) -> int:
    from core.access.tokens import create_user

    registry = rt.policy.registry
    with rt.sessions() as s:
        clerk, _ = create_user(s, f"clerk{n}", "village_clerk", WUHUA, registry)
    head = id_number(WUHUA, n)
    doc = {
        "county": WUHUA,
        "area": "urban",
        "incomeClass": "stable",
        "members": [{"idNumber": head, "name": "户主", "relation": "head"}],
    }
    with rt.sessions() as s:
        return create_household(s, clerk, doc, registry).id


def _settings(url: str, data: Path, **env: str) -> Settings:
    return load_settings({"DOUDI_DATA_DIR": str(data), "DOUDI_DATABASE_URL": url, **env})


# -- the key -----------------------------------------------------------------------------------


def test_the_key_file_is_created_0600_on_first_use_and_read_back(tmp_path, base):
    settings = _settings(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "data")
    rt = open_runtime(settings, plugin_base=base)
    try:
        _household(rt, 1)
        key = rt.audit_key
    finally:
        rt.close()
    path = tmp_path / "data" / "audit.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert bytes.fromhex(path.read_text().strip()) == key.secret and len(key.secret) == 32
    assert load_key(settings).id == key.id


def test_a_key_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "elsewhere" / "doudi.key"
    settings = load_settings({"DOUDI_DATA_DIR": str(tmp_path), "DOUDI_AUDIT_KEY_FILE": str(path)})
    key = load_key(settings)
    assert path.exists() and not (tmp_path / "audit.key").exists()
    os.chmod(path, 0o644)
    fresh = load_settings(
        {"DOUDI_DATA_DIR": str(tmp_path / "x"), "DOUDI_AUDIT_KEY_FILE": str(path)}
    )
    with pytest.raises(AuditKeyError, match=r"can be read by other accounts .*chmod 600"):
        load_key(fresh)
    os.chmod(path, 0o600)
    assert load_key(fresh).id == key.id


def test_the_key_from_the_environment_writes_no_file(tmp_path):
    secret = secrets.token_bytes(32)
    settings = load_settings({"DOUDI_DATA_DIR": str(tmp_path), "DOUDI_AUDIT_KEY": secret.hex()})
    assert load_key(settings).secret == secret and not (tmp_path / "audit.key").exists()
    assert "DOUDI_AUDIT_KEY" not in repr(settings) and secret.hex() not in repr(settings)
    with pytest.raises(AuditKeyError, match="64 hex digits"):
        load_key(load_settings({"DOUDI_DATA_DIR": str(tmp_path), "DOUDI_AUDIT_KEY": "xyz"}))
    with pytest.raises(AuditKeyError, match="at least 32 bytes"):
        load_key(load_settings({"DOUDI_DATA_DIR": str(tmp_path), "DOUDI_AUDIT_KEY": "ab" * 8}))


def test_verify_without_the_key_file_does_not_make_one(tmp_path, monkeypatch):
    with pytest.raises(AuditKeyError, match="does not exist"):
        load_key(load_settings({"DOUDI_DATA_DIR": str(tmp_path)}), create=False)
    assert not (tmp_path / "audit.key").exists()


def test_bad_checkpoint_seconds_is_a_typed_error():
    for bad in ("soon", "-1", "nan", "1e9"):
        with pytest.raises(InvalidSetting, match="DOUDI_AUDIT_CHECKPOINT_SECONDS"):
            load_settings({"DOUDI_AUDIT_CHECKPOINT_SECONDS": bad})


# -- checkpoints -------------------------------------------------------------------------------


def test_checkpoints_follow_writes_and_the_runtime_closing(migrated_db_url, tmp_path, base):
    """With DOUDI_AUDIT_CHECKPOINT_SECONDS=0 each audited write is followed by a checkpoint of
    the heads that moved; with 3600 the first write checkpoints, later ones wait for the
    interval or for close()."""
    data = tmp_path / "data"
    rt = open_runtime(
        _settings(migrated_db_url, data, DOUDI_AUDIT_CHECKPOINT_SECONDS="0"), plugin_base=base
    )
    log = data / "audit-checkpoints.jsonl"
    try:
        _household(rt, 1)
        first = read_checkpoints(log, rt.audit_key)
        _household(rt, 2)
        second = read_checkpoints(log, rt.audit_key)
    finally:
        rt.close()
    assert first.newest[f"households:{WUHUA}"][0] == 1 and first.bad == []
    assert second.newest[f"households:{WUHUA}"][0] == 2 and second.lines == 2

    rt = open_runtime(
        _settings(migrated_db_url, data, DOUDI_AUDIT_CHECKPOINT_SECONDS="3600"), plugin_base=base
    )
    try:
        _household(rt, 3)
        assert read_checkpoints(log, rt.audit_key).newest[f"households:{WUHUA}"][0] == 3
        _household(rt, 4)
        assert read_checkpoints(log, rt.audit_key).newest[f"households:{WUHUA}"][0] == 3
    finally:
        rt.close()
    assert read_checkpoints(log, rt.audit_key).newest[f"households:{WUHUA}"][0] == 4


def test_an_edited_checkpoint_line_is_reported(tmp_path, base):
    data = tmp_path / "data"
    rt = open_runtime(_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}", data), plugin_base=base)
    try:
        _household(rt, 1)
        rt.checkpoint(everything=True)
        key = rt.audit_key
    finally:
        rt.close()
    log = data / "audit-checkpoints.jsonl"
    line = json.loads(log.read_text().splitlines()[-1])
    line["heads"][f"households:{WUHUA}"][0] = 99  # claim more than there is, to cry wolf
    with log.open("a") as f:
        f.write(json.dumps(line) + "\n")
    read = read_checkpoints(log, key)
    assert read.newest[f"households:{WUHUA}"][0] == 1
    assert read.bad == [f"checkpoint log {log} line 3: its MAC does not match (altered, or forged "
                        "without the key)"]  # fmt: skip


def test_checkpoints_also_go_to_syslog_and_verify_reads_them_back(tmp_path, base, monkeypatch):
    """The external log a deployment points to: a syslog server (here a UDP socket). The lines
    it received, saved to a file, are a checkpoint log ``doudi audit verify`` can use."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(10)
    port = server.getsockname()[1]
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    data = tmp_path / "data"
    env = {"DOUDI_AUDIT_SYSLOG": f"udp://127.0.0.1:{port}", "DOUDI_AUDIT_CHECKPOINT_SECONDS": "0"}
    rt = open_runtime(_settings(url, data, **env), plugin_base=base)
    try:
        _household(rt, 1)
        received = server.recv(65536).decode()
    finally:
        rt.close()
        server.close()
    assert "doudi-audit-checkpoint {" in received
    exported = tmp_path / "from-syslog.txt"
    exported.write_text(received + "\n")
    (data / "audit-checkpoints.jsonl").unlink()  # the local log is gone: the copy still counts
    monkeypatch.setenv("DOUDI_DATA_DIR", str(data))
    monkeypatch.setenv("DOUDI_DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(
        cli, ["audit", "verify", "--checkpoints", str(exported), "--json"], catch_exceptions=False
    )
    found = json.loads(ok(result))
    assert any("covering 1 chains" in n for n in found["notes"]), found["notes"]
    # the household's entry deleted, head and all: only the exported checkpoint can tell
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entries"))
        conn.execute(text("DELETE FROM audit_heads"))
        conn.execute(text("DELETE FROM household_members"))
        conn.execute(text("DELETE FROM households"))
    engine.dispose()
    assert runner.invoke(cli, ["audit", "verify"], catch_exceptions=False).exit_code == 0
    result = runner.invoke(
        cli, ["audit", "verify", "--checkpoints", str(exported)], catch_exceptions=False
    )
    assert "the audit trail is broken: 1 problem" in one_error(result)
    assert result.stdout.startswith(f"chain households:{WUHUA}: the checkpoint of ")


def test_audit_checkpoint_writes_every_head(tmp_path, base, monkeypatch):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    data = tmp_path / "data"
    rt = open_runtime(_settings(url, data), plugin_base=base)
    try:
        _household(rt, 1)
    finally:
        rt.close()
    monkeypatch.setenv("DOUDI_DATA_DIR", str(data))
    monkeypatch.setenv("DOUDI_DATABASE_URL", url)
    out = ok(CliRunner().invoke(cli, ["audit", "checkpoint"], catch_exceptions=False))
    assert out.strip() == f"checkpoint: 1 chain written to {data / 'audit-checkpoints.jsonl'}"
