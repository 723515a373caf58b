"""Calendar tokens: a feed URL (``/calendar/CODE.ics?token=``) is kept by calendar apps and
their servers, so a token in a URL must open nothing but the user's feeds — on SQLite and
PostgreSQL, through GraphQL and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from core.access.roles import CALENDAR
from core.access.tokens import issue_token, list_users, revoke_tokens
from core.cli import cli
from core.policy.service import PolicyBase
from tests.support.api import Api, codes, open_test_runtime

YONGFU = "450326"
CREATE = "mutation { createCalendarToken { token userErrors { field message code } } }"


@pytest.fixture
def api(migrated_db_url: str, tmp_path: Path, base: PolicyBase) -> Iterator[Api]:
    rt = open_test_runtime(migrated_db_url, tmp_path, base)
    a = Api(rt)
    yield a
    a.close()
    rt.close()


def feed(api: Api, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return api._runner.run(api._client.get(path, headers=headers or {}))


def test_a_token_in_a_url_opens_only_the_feeds(api: Api) -> None:
    full = api.token("township_officer", YONGFU)
    # a full token: in the header, yes; in a URL, no (and the answer says what to do instead)
    assert feed(api, f"/calendar/{YONGFU}.ics", {"Authorization": f"Bearer {full}"}).is_success
    refused = feed(api, f"/calendar/{YONGFU}.ics?token={full}")
    assert refused.status_code == 401 and "calendar token" in refused.text
    # the user makes a calendar token for themselves
    payload, errors = api.mutate(CREATE, {}, full)
    assert errors == [] and payload["token"]
    calendar = payload["token"]
    got = feed(api, f"/calendar/{YONGFU}.ics?token={calendar}")
    assert got.status_code == 200 and got.text.startswith("BEGIN:VCALENDAR")
    assert got.headers["cache-control"] == "private, no-store"
    # ... which opens nothing else: not GraphQL, not a mutation
    query = '{ cases(jurisdiction: "450326") { edges { node { id } } } }'
    _, errors = api.gql(query, token=calendar)
    assert codes(errors) == ["UNAUTHENTICATED"] and "calendar token" in errors[0]["message"]
    payload, errors = api.mutate(CREATE, {}, calendar)
    assert payload["token"] is None and codes(errors) == ["UNAUTHENTICATED"]
    # no token at all
    payload, errors = api.mutate(CREATE, {}, None)
    assert payload["token"] is None and codes(errors) == ["UNAUTHENTICATED"]


def test_calendar_tokens_are_revoked_on_their_own(api: Api) -> None:
    full = api.token("county_approver", YONGFU)
    assert api.runtime is not None
    with api.runtime.sessions() as s:
        name = next(u.name for u in list_users(s) if u.role.value == "county_approver")
        calendar = issue_token(s, name, CALENDAR)
        assert revoke_tokens(s, name, CALENDAR) == 1
    assert feed(api, f"/calendar/{YONGFU}.ics?token={calendar}").status_code == 401
    # the full token still works
    assert feed(api, f"/calendar/{YONGFU}.ics", {"Authorization": f"Bearer {full}"}).is_success


def test_cli_issues_and_revokes_calendar_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOUDI_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    added = runner.invoke(
        cli, ["users", "add", "li", "--role", "township_officer", "--jurisdiction", YONGFU]
    )
    assert added.exit_code == 0, added.output
    issued = runner.invoke(cli, ["users", "token", "li", "--calendar", "--json"])
    assert issued.exit_code == 0, issued.output
    assert '"scope": "calendar"' in issued.output
    # a calendar token cannot act through the CLI either
    token = issued.output.split('"token": "')[1].split('"')[0]
    listed = runner.invoke(cli, ["cases", "list", YONGFU, "--token", token])
    assert listed.exit_code == 1 and "calendar token" in listed.output
    revoked = runner.invoke(cli, ["users", "revoke", "li", "--calendar"])
    assert revoked.exit_code == 0 and "revoked 1 calendar token of li" in revoked.output
