"""The GraphQL API over HTTP: answers, explain, errors, limits, caches, and the schema file."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.api.app import create_app
from core.api.limits import MAX_ALIASES, MAX_COST, MAX_DEPTH, MAX_LIST_NESTING, MAX_TOKENS
from core.api.schema import estimated_cost, sdl
from core.policy.service import MAX_COMPARE, PolicyBase

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
PHASE_OUT = "dibao.phase_out.max_months"
YONGNING_DOC = "永民发〔2020〕138号"
NATIONAL_2022_DOC = "民发〔2022〕83号"
FIVE = ["522700", "140300", "530000", "450326", "640121"]

LAYER = "layer { code name level origin kind file }"
SOURCE = "source { documentId title number issuer date section quote url note documentNote }"
VALUE = f"value {LAYER} effectiveFrom effectiveUntil {SOURCE}"
PARAMETER = f"""
    path type unit description labelZh value isSet effectiveFrom effectiveUntil {LAYER} {SOURCE}
    applied notAppliedNote
    overrides {{ {VALUE} }}
    history {{ effectiveFrom effectiveUntil value isSet {LAYER} {SOURCE} }}
"""
RULE = f"""rule {{
    id description kind path boundPath boundValue multiple multiplePath scope plugin {SOURCE}
}}"""


class Client:
    """A synchronous face over httpx's ASGI transport (one event loop for the whole module)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://doudi.test"
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._runner.run(self._client.request(method, url, **kwargs))

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()


@pytest.fixture(scope="module")
def client(base: PolicyBase) -> Iterator[Client]:
    c = Client(create_app(base))
    yield c
    c.close()


def gql(
    client: Client, query: str, variables: dict[str, Any] | None = None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """POST a query; every GraphQL answer is HTTP 200, errors or not."""
    r = client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert r.status_code == 200, r.text
    body = r.json()
    return body.get("data"), body.get("errors") or []


def ok(client: Client, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    data, errors = gql(client, query, variables)
    assert not errors, errors
    assert data is not None
    return data


def codes(errors: list[dict[str, Any]]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in errors]


def parameter(client: Client, code: str, as_of: str, path: str = PHASE_OUT) -> dict[str, Any]:
    q = f"""query($j: String!, $d: Date, $p: String!) {{
        policy(jurisdiction: $j, asOf: $d) {{ parameter(path: $p) {{ {PARAMETER} }} }}
    }}"""
    return ok(client, q, {"j": code, "d": as_of, "p": path})["policy"]["parameter"]


# -- answers and explain --------------------------------------------------------------------------


def test_yongning_phase_out_2021_is_the_county_rule(client: Client) -> None:
    p = parameter(client, "640121", "2021-06-01")
    assert p["value"] == 18
    assert p["isSet"] is True
    assert p["unit"] == "months"
    assert p["type"] == "integer"
    assert p["effectiveFrom"] == "2020-12-16"
    assert p["effectiveUntil"] is None
    assert p["layer"] == {
        "code": "640121",
        "name": "永宁县",
        "level": "COUNTY",
        "origin": "ningxia",
        "kind": "PLUGIN",
        "file": "640121-yongning.yaml",
    }
    assert p["source"]["number"] == YONGNING_DOC
    assert p["source"]["issuer"] == "永宁县民政局"
    assert "18个月" in p["source"]["quote"]
    assert p["overrides"] == []  # the national 6 months did not exist yet


def test_yongning_phase_out_2023_keeps_18_and_reports_the_later_national_rule(
    client: Client,
) -> None:
    q = f"""{{ policy(jurisdiction: "640121", asOf: "2023-06-01") {{
        jurisdiction {{ code name level }} asOf
        parameter(path: "{PHASE_OUT}") {{ value isSet overrides {{ {VALUE} }} }}
        violations {{ kind path message value {{ {VALUE} }} other {{ {VALUE} }} {RULE} }}
    }} }}"""
    policy = ok(client, q)["policy"]
    assert policy["jurisdiction"] == {"code": "640121", "name": "永宁县", "level": "COUNTY"}
    assert policy["asOf"] == "2023-06-01"
    p = policy["parameter"]
    assert p["value"] == 18
    [national] = p["overrides"]
    assert national["value"] == 6
    assert national["effectiveFrom"] == "2022-10-20"
    assert national["layer"]["kind"] == "NATIONAL"
    assert national["layer"]["code"] == "000000"
    assert national["source"]["number"] == NATIONAL_2022_DOC

    [v] = [v for v in policy["violations"] if v["path"] == PHASE_OUT]
    assert v["kind"] == "LATER_GENERAL_RULE"
    assert v["rule"] is None
    assert v["value"]["value"] == 18
    assert v["value"]["source"]["number"] == YONGNING_DOC
    assert v["other"]["value"] == 6
    assert v["other"]["effectiveFrom"] == "2022-10-20"
    assert v["other"]["source"]["number"] == NATIONAL_2022_DOC
    assert YONGNING_DOC in v["message"] and NATIONAL_2022_DOC in v["message"]


@pytest.mark.parametrize("sibling", ["640100", "640122", "640000"])
def test_a_county_rule_does_not_reach_its_siblings_or_parents(client: Client, sibling: str) -> None:
    before = parameter(client, sibling, "2021-06-01")
    assert before["isSet"] is False
    assert before["value"] is None
    after = parameter(client, sibling, "2023-06-01")
    assert after["value"] == 6
    assert after["layer"]["kind"] == "NATIONAL"
    assert after["source"]["number"] == NATIONAL_2022_DOC


def test_a_path_no_layer_sets_is_not_set_and_null_never_zero(client: Client) -> None:
    p = parameter(client, "640121", "2023-06-01", "dibao.standard.urban")
    assert p["isSet"] is False
    assert p["value"] is None
    for key in ("layer", "source", "effectiveFrom", "effectiveUntil"):
        assert p[key] is None
    assert p["overrides"] == []
    assert p["history"] == []


def test_time_travel_a_national_value_applies_only_from_its_date(client: Client) -> None:
    assert parameter(client, "000000", "2022-10-19")["isSet"] is False
    on_the_day = parameter(client, "national", "2022-10-20")
    assert on_the_day["value"] == 6
    assert on_the_day["layer"]["level"] == "NATIONAL"


def test_history(client: Client) -> None:
    yongning = parameter(client, "640121", "2023-06-01")["history"]
    assert [(h["effectiveFrom"], h["effectiveUntil"], h["value"]) for h in yongning] == [
        ("2020-12-16", None, 18)
    ]
    assert yongning[0]["layer"]["code"] == "640121"
    assert yongning[0]["source"]["number"] == YONGNING_DOC
    sibling = parameter(client, "640122", "2023-06-01")["history"]
    assert sibling[0]["effectiveFrom"] == "2022-10-20"
    assert sibling[0]["value"] == 6
    assert sibling[0]["isSet"] is True
    assert sibling[-1]["effectiveUntil"] is None


def test_default_as_of_is_today_in_china(client: Client) -> None:
    from core.policy.service import today

    policy = ok(client, '{ policy(jurisdiction: "640121") { asOf } }')["policy"]
    assert policy["asOf"] == today().isoformat()


def test_full_policy_with_explain_passes_the_limits(client: Client) -> None:
    q = f"""{{ policy(jurisdiction: "640121", asOf: "2024-01-01") {{
        jurisdiction {{ code name level parent {{ code }} ancestors {{ code }} }}
        parameters {{ {PARAMETER} }}
        violations {{ kind path message value {{ {VALUE} }} other {{ {VALUE} }} {RULE} }}
        constraints {{ status message bound value {{ {VALUE} }} {RULE} }}
    }} }}"""
    policy = ok(client, q)["policy"]
    params = policy["parameters"]
    assert len(params) >= 60
    assert len({p["path"] for p in params}) == len(params)
    for p in params:
        assert p["isSet"] is (p["value"] is not None)
        assert (p["layer"] is None) is (not p["isSet"])
    assert {c["rule"]["id"] for c in policy["constraints"]} >= {"core.phase_out_min_not_above_max"}
    for c in policy["constraints"]:
        assert c["status"] in {"OK", "VIOLATED", "NOT_CHECKED"}
    assert policy["jurisdiction"]["parent"] == {"code": "640100"}


def test_parameters_by_prefix(client: Client) -> None:
    q = """{ policy(jurisdiction: "640121", asOf: "2023-06-01") {
        parameters(prefix: "dibao.phase_out") { path }
    } }"""
    paths = [p["path"] for p in ok(client, q)["policy"]["parameters"]]
    assert PHASE_OUT in paths
    assert all(p.startswith("dibao.phase_out.") for p in paths)


# -- compare --------------------------------------------------------------------------------------


def test_compare_five_jurisdictions(client: Client) -> None:
    q = """query($js: [String!]!, $paths: [String!]) {
        comparePolicies(jurisdictions: $js, asOf: "2024-01-01", paths: $paths) {
            path unit labelZh differs
            cells {
                jurisdiction { code name level }
                value isSet effectiveFrom layer { code kind } source { number }
            }
        }
    }"""
    paths = [PHASE_OUT, "dibao.standard.urban"]
    rows = ok(client, q, {"js": FIVE, "paths": paths})["comparePolicies"]
    assert [r["path"] for r in rows] == paths
    by_path = {r["path"]: r for r in rows}
    phase_out = by_path[PHASE_OUT]
    assert [c["jurisdiction"]["code"] for c in phase_out["cells"]] == FIVE
    assert phase_out["differs"] is True
    cells = {c["jurisdiction"]["code"]: c for c in phase_out["cells"]}
    assert cells["640121"]["value"] == 18
    assert cells["640121"]["source"]["number"] == YONGNING_DOC
    for c in phase_out["cells"]:
        assert c["isSet"] is (c["value"] is not None)


def test_compare_five_jurisdictions_every_path_passes_the_limits(client: Client) -> None:
    q = f"""query($js: [String!]!) {{
        comparePolicies(jurisdictions: $js, asOf: "2024-01-01") {{
            path unit labelZh differs
            cells {{
                jurisdiction {{ code name level parent {{ code name }} }}
                value isSet effectiveFrom effectiveUntil {LAYER} {SOURCE}
            }}
        }}
    }}"""
    rows = ok(client, q, {"js": FIVE})["comparePolicies"]
    assert len(rows) >= 60
    assert any(r["differs"] for r in rows)
    for r in rows:
        assert len(r["cells"]) == 5
        values = {repr(c["value"]) if c["isSet"] else "unset" for c in r["cells"]}
        if len(values) > 1:
            assert r["differs"] is True


def test_compare_needs_a_jurisdiction(client: Client) -> None:
    data, errors = gql(client, "{ comparePolicies(jurisdictions: []) { path } }")
    assert data is None
    assert codes(errors) == ["INVALID_INPUT"]


def test_compare_gives_one_cell_per_distinct_jurisdiction(client: Client) -> None:
    # national and 000000 are the same jurisdiction: PolicyBase.compare keeps it once.
    q = """{ comparePolicies(jurisdictions: ["640121", "national", "000000", "640121"],
                             asOf: "2023-06-01", paths: ["dibao.phase_out.max_months"]) {
        path differs cells { jurisdiction { code } value }
    } }"""
    (row,) = ok(client, q)["comparePolicies"]
    assert [c["jurisdiction"]["code"] for c in row["cells"]] == ["640121", "000000"]
    assert [c["value"] for c in row["cells"]] == [18, 6]
    assert row["differs"] is True


def test_compare_with_an_empty_list_of_paths_has_no_rows(client: Client) -> None:
    q = '{ comparePolicies(jurisdictions: ["640121", "000000"], paths: []) { path } }'
    assert ok(client, q) == {"comparePolicies": []}


# -- jurisdictions, plugins, programs, catalog ---------------------------------------------------


def test_jurisdictions(client: Client) -> None:
    children = ok(client, '{ jurisdictions(parent: "640100") { code name level } }')
    assert {"code": "640121", "name": "永宁县", "level": "COUNTY"} in children["jurisdictions"]
    provinces = ok(client, "{ jurisdictions { code level } }")["jurisdictions"]
    assert {"code": "640000", "level": "PROVINCE"} in provinces
    assert {p["level"] for p in provinces} == {"PROVINCE"}
    j = ok(
        client,
        """{ jurisdiction(code: "640121") {
            code name parent { code } ancestors { code level } children { code }
        } }""",
    )["jurisdiction"]
    assert j["parent"] == {"code": "640100"}
    assert [a["code"] for a in j["ancestors"]] == ["640100", "640000", "000000"]
    assert j["children"] == []
    national = ok(client, '{ jurisdiction(code: "national") { code level parent { code } } }')
    assert national["jurisdiction"] == {"code": "000000", "level": "NATIONAL", "parent": None}


def test_plugins(client: Client) -> None:
    q = """{ plugins {
        name module distribution version builtin
        jurisdictions { code } files constraints
        programs { id name nameZh plugin scope { code } parameters { path } }
    } }"""
    plugins = {p["name"]: p for p in ok(client, q)["plugins"]}
    assert set(plugins) == {"national", "guizhou", "shanxi", "yunnan", "guangxi", "ningxia"}
    assert plugins["national"]["builtin"] is True
    assert {p["name"] for p in plugins.values() if p["builtin"]} == {"national"}
    assert [j["code"] for j in plugins["national"]["jurisdictions"]] == ["000000"]
    assert "core.phase_out_min_not_above_max" in plugins["national"]["constraints"]
    ningxia = plugins["ningxia"]
    assert [j["code"] for j in ningxia["jurisdictions"]] == ["640000"]
    assert "640121-yongning.yaml" in ningxia["files"]
    assert ningxia["module"] == "plugins.ningxia"
    for p in plugins.values():
        for program in p["programs"]:
            assert program["plugin"] == p["name"]
            assert all(
                x["path"].startswith(f"programs.{program['id']}.") for x in program["parameters"]
            )


def test_programs_and_catalog(client: Client) -> None:
    programs = ok(
        client,
        """{ programs {
            id name nameZh description plugin scope { code level } parameters { path unit }
            source { title }
        } }""",
    )["programs"]
    for p in programs:
        assert p["scope"]["code"]
        assert p["parameters"], p
    catalog = ok(
        client,
        "{ parameterCatalog { path type unit description labelZh choices minimum maximum } }",
    )["parameterCatalog"]
    by_path = {c["path"]: c for c in catalog}
    assert by_path[PHASE_OUT]["type"] == "integer"
    assert by_path[PHASE_OUT]["unit"] == "months"
    assert by_path[PHASE_OUT]["minimum"] == 0
    for p in programs:
        for x in p["parameters"]:
            assert x["path"] in by_path
    under = ok(client, '{ parameterCatalog(prefix: "dibao.phase_out") { path } }')
    assert {c["path"] for c in under["parameterCatalog"]} >= {PHASE_OUT}


# -- errors ---------------------------------------------------------------------------------------


def test_unknown_jurisdiction(client: Client) -> None:
    data, errors = gql(client, '{ policy(jurisdiction: "999999") { asOf } }')
    assert data is None
    assert codes(errors) == ["UNKNOWN_JURISDICTION"]
    assert "999999" in errors[0]["message"]
    _, errors = gql(client, '{ jurisdiction(code: "yongning") { code } }')
    assert codes(errors) == ["UNKNOWN_JURISDICTION"]


def test_unknown_parameter(client: Client) -> None:
    q = """{ policy(jurisdiction: "640121") {
        parameter(path: "dibao.phase_out.max_month") { value }
    } }"""
    data, errors = gql(client, q)
    assert data is None
    assert codes(errors) == ["UNKNOWN_PARAMETER"]
    assert PHASE_OUT in errors[0]["message"]  # the suggestion
    _, errors = gql(client, '{ parameterCatalog(prefix: "nothing.here") { path } }')
    assert codes(errors) == ["UNKNOWN_PARAMETER"]


@pytest.mark.parametrize("bad", ["2021-13-01", "yesterday", "2021-02-30", 20210601])
def test_a_malformed_date_variable_is_an_error_not_a_500(client: Client, bad: object) -> None:
    q = 'query($d: Date) { policy(jurisdiction: "640121", asOf: $d) { asOf } }'
    data, errors = gql(client, q, {"d": bad})
    assert data is None
    assert codes(errors) == ["BAD_USER_INPUT"]
    assert "$d" in errors[0]["message"]


def test_a_malformed_date_literal_is_a_validation_error(client: Client) -> None:
    data, errors = gql(client, '{ policy(jurisdiction: "640121", asOf: "2021-13-01") { asOf } }')
    assert data is None
    assert codes(errors) == ["GRAPHQL_VALIDATION_FAILED"]


def test_unknown_field_and_syntax_error(client: Client) -> None:
    _, errors = gql(client, '{ policy(jurisdiction: "640121") { nonsense } }')
    assert codes(errors) == ["GRAPHQL_VALIDATION_FAILED"]
    _, errors = gql(client, '{ policy(jurisdiction: "640121" ')
    assert codes(errors) == ["GRAPHQL_PARSE_FAILED"]


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"{not json", {"content-type": "application/json"}),
        (b'{"variables": {}}', {"content-type": "application/json"}),
        (b"[1, 2]", {"content-type": "application/json"}),
        (b"query=%7B", {"content-type": "text/plain"}),
    ],
)
def test_a_bad_request_body_is_a_client_error_not_a_500(
    client: Client, content: bytes, headers: dict[str, str]
) -> None:
    r = client.post("/graphql", content=content, headers=headers)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)


def test_unexpected_errors_are_masked_and_logged(
    base: PolicyBase, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(code: str, as_of: object) -> list[object]:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(base, "violations", boom)
    c = Client(create_app(base))
    try:
        with caplog.at_level(logging.ERROR, logger="doudi.api"):
            data, errors = gql(c, '{ policy(jurisdiction: "640121") { violations { path } } }')
    finally:
        c.close()
    assert data is None
    assert [e["message"] for e in errors] == ["Unexpected error."]
    assert codes(errors) == ["INTERNAL_SERVER_ERROR"]
    assert "secret" not in str(errors)
    assert any("secret internal detail" in r.getMessage() for r in caplog.records)
    assert any(r.exc_info for r in caplog.records)


def test_a_failing_extension_is_masked_too(
    base: PolicyBase, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from core.api import schema as api_schema

    def broken_hook(self: object) -> Iterator[None]:
        raise RuntimeError("secret extension detail")
        yield

    monkeypatch.setattr(api_schema.CachedResults, "on_execute", broken_hook)
    c = Client(create_app(base))
    try:
        with caplog.at_level(logging.ERROR, logger="doudi.api"):
            data, errors = gql(c, '{ jurisdiction(code: "640121") { code } }')
    finally:
        c.close()
    assert data is None
    assert [e["message"] for e in errors] == ["Unexpected error."]
    assert codes(errors) == ["INTERNAL_SERVER_ERROR"]
    assert any("secret extension detail" in r.getMessage() for r in caplog.records)


# -- limits ---------------------------------------------------------------------------------------


def _nested(depth: int) -> str:
    inner = "code"
    for _ in range(depth - 1):
        inner = f"parent {{ {inner} }}"
    return f'{{ jurisdiction(code: "640121") {{ {inner} }} }}'


@pytest.mark.parametrize("attempt", [1, 2])  # the second one is served by the caches
def test_depth_limit(client: Client, attempt: int) -> None:
    ok(client, _nested(MAX_DEPTH))
    data, errors = gql(client, _nested(MAX_DEPTH + 2))
    assert data is None
    assert codes(errors) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "depth" in errors[0]["message"]


@pytest.mark.parametrize("attempt", [1, 2])
def test_alias_limit(client: Client, attempt: int) -> None:
    def aliases(n: int) -> str:
        return (
            "{ "
            + " ".join(f'a{i}: jurisdiction(code: "640121") {{ code }}' for i in range(n))
            + " }"
        )

    ok(client, aliases(MAX_ALIASES))
    data, errors = gql(client, aliases(MAX_ALIASES + 1))
    assert data is None
    assert codes(errors) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "aliases" in errors[0]["message"]


def test_token_limit(client: Client) -> None:
    fields = " ".join("code" for _ in range(MAX_TOKENS))
    data, errors = gql(client, f'{{ jurisdiction(code: "640121") {{ {fields} }} }}')
    assert data is None
    assert codes(errors) == ["GRAPHQL_PARSE_FAILED"]
    assert "tokens" in errors[0]["message"]


def test_list_nesting_limit(client: Client) -> None:
    # children { parent { children ... } } would multiply by ~30 at every level
    inner = "code"
    for _ in range(MAX_LIST_NESTING + 1):
        inner = f"children {{ parent {{ {inner} }} }}"
    q = f'{{ jurisdiction(code: "000000") {{ {inner} }} }}'
    data, errors = gql(client, q)
    assert data is None
    assert codes(errors)[0] == "GRAPHQL_VALIDATION_FAILED"  # (too costly as well)
    assert "lists" in errors[0]["message"]


def test_a_query_multiplying_lists_is_refused_quickly(client: Client, base: PolicyBase) -> None:
    # Every limit above passes; run, it took seconds on the one worker and returned megabytes.
    provinces = [j.code for j in base.registry.children("000000")][:MAX_COMPARE]
    q = f"""{{ comparePolicies(jurisdictions: {json.dumps(provinces)}) {{
        cells {{ jurisdiction {{ children {{ children {{ code }} }} }} }}
    }} }}"""
    t0 = time.perf_counter()
    data, errors = gql(client, q)
    assert time.perf_counter() - t0 < 1.0
    assert data is None
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]
    assert f"at most {MAX_COST}" in errors[0]["message"]
    # Fragments count as if written out, and each alias adds its own cost: one full compare
    # passes, the same twice does not.
    row = f"""fragment Row on ComparisonRow {{ path differs cells {{
        jurisdiction {{ code name level parent {{ code name }} }}
        value isSet effectiveFrom effectiveUntil {LAYER} {SOURCE}
    }} }}"""
    once = f"query($js: [String!]!) {{ a: comparePolicies(jurisdictions: $js) {{ ...Row }} }} {row}"
    twice = f"""query($js: [String!]!) {{ a: comparePolicies(jurisdictions: $js) {{ ...Row }}
        b: comparePolicies(jurisdictions: $js) {{ ...Row }} }} {row}"""
    assert len(ok(client, once, {"js": FIVE})["a"]) >= 60
    data, errors = gql(client, twice, {"js": FIVE})
    assert data is None
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]


def test_the_biggest_legitimate_compare_is_within_the_cost_limit() -> None:
    from graphql import parse

    from core.api.schema import schema

    # What the five-way every-path test asks for, but as the largest compare allowed: the
    # estimate assumes MAX_COMPARE jurisdictions and every catalog path whatever is asked.
    q = f"""query($js: [String!]!) {{ comparePolicies(jurisdictions: $js) {{
        path unit labelZh differs
        cells {{
            jurisdiction {{ code name level parent {{ code name }} }}
            value isSet effectiveFrom effectiveUntil {LAYER} {SOURCE}
        }}
    }} }}"""
    (cost,) = estimated_cost(schema._schema, parse(q)).values()
    assert cost <= MAX_COST


def test_fragment_explosion_is_refused_quickly(client: Client) -> None:
    k = 24  # 2**24 fields once expanded
    frags = "\n".join(
        f"fragment F{i} on Jurisdiction {{ ...F{i + 1} ...F{i + 1} }}" for i in range(k)
    )
    last = f"fragment F{k} on Jurisdiction {{ code }}"
    q = f'{{ jurisdiction(code: "640121") {{ ...F0 }} }}\n{frags}\n{last}'
    data, errors = gql(client, q)
    assert data is None
    assert codes(errors) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "fragments are expanded" in errors[0]["message"]


# -- the CLI's JSON and the API show the same fields -----------------------------------------------


def _camel(x: Any) -> Any:
    """A plain form from core.policy.serialize as the API shows it: camelCase keys, enums by
    name."""
    if isinstance(x, dict):
        return {
            re.sub(r"_(.)", lambda m: m.group(1).upper(), k): (
                v.upper() if k in ("level", "kind") and isinstance(v, str) else _camel(v)
            )
            for k, v in x.items()
        }
    if isinstance(x, list):
        return [_camel(v) for v in x]
    return x


@pytest.mark.parametrize(("code", "as_of"), [("640121", "2023-06-01"), ("640121", "2021-06-01")])
def test_a_parameter_is_the_same_in_the_api_and_the_cli_json(
    client: Client, base: PolicyBase, code: str, as_of: str
) -> None:
    import datetime as dt

    from core.policy import serialize

    api = parameter(client, code, as_of)
    p = base.parameter(code, PHASE_OUT, dt.date.fromisoformat(as_of))
    cli = _camel(serialize.parameter(p))
    assert {k: api[k] for k in cli} == cli
    history = _camel([serialize.history_entry(e) for e in base.history(code, PHASE_OUT)])
    assert api["history"] == history


def test_a_compare_cell_is_the_same_in_the_api_and_the_cli_json(
    client: Client, base: PolicyBase
) -> None:
    import datetime as dt

    from core.policy import serialize

    q = f"""{{ comparePolicies(jurisdictions: ["640121", "640122"], asOf: "2023-06-01",
                               paths: ["{PHASE_OUT}"]) {{
        cells {{ value isSet effectiveFrom effectiveUntil {LAYER} {SOURCE} }}
    }} }}"""
    (row,) = ok(client, q)["comparePolicies"]
    (core_row,) = base.compare(["640121", "640122"], dt.date(2023, 6, 1), [PHASE_OUT])
    cli = serialize.comparison_row(core_row, ["640121", "640122"])
    assert row["cells"] == [_camel(cli["cells"][c]) for c in ("640121", "640122")]
    assert "effective_until" in cli["cells"]["640121"]


def test_empty_strings_are_null_in_the_api_and_the_cli_json() -> None:
    from core.api.policy import Source
    from core.plugin.hookspecs import Document
    from core.plugin.hookspecs import Source as CoreSource
    from core.policy import serialize

    s = CoreSource(Document(id="d", title="某文件"), section="", quote="")
    plain = serialize.source(s)
    assert plain is not None
    assert plain["number"] is None and plain["section"] is None and plain["url"] is None
    assert plain["title"] == "某文件"
    assert serialize.source_fields(s) == vars(Source.of(s))


# -- caches, GraphiQL, health, schema file ---------------------------------------------------------


def test_repeated_queries_are_served_from_the_caches(base: PolicyBase) -> None:
    c = Client(create_app(base))
    try:
        q = """query($j: String!) { policy(jurisdiction: $j, asOf: "2023-06-01") {
            parameter(path: "dibao.phase_out.max_months") { value }
        } }"""
        first = gql(c, q, {"j": "640121"})
        second = gql(c, q, {"j": "640121"})
        other = gql(c, q, {"j": "640122"})
        results = c.app.state.result_cache
        responses = c.app.state.response_cache
        assert first == second
        assert other[0] == {"policy": {"parameter": {"value": 6}}}
        assert len(responses) == 2
        assert len(results) == 2
        # Errors are never cached.
        gql(c, '{ policy(jurisdiction: "999999") { asOf } }')
        gql(c, '{ policy(jurisdiction: "999999") { asOf } }')
        assert len(responses) == 2
        assert len(results) == 2
    finally:
        c.close()


def test_the_caches_are_bounded_by_entries_and_bytes() -> None:
    from core.api.cache import LRUCache

    class Texts(LRUCache[str, str]):
        def sizeof(self, key: str, value: str) -> int:
            return len(value)

    cache = Texts(maxsize=3, max_bytes=160)  # an entry may take up to 10 bytes
    for k in "abcd":
        assert cache.put(k, "x" * 5)
    assert list(cache) == ["b", "c", "d"]  # by entries
    assert cache.get("b") == "x" * 5  # b is now the most recent
    assert cache.put("e", "y" * 10)
    assert list(cache) == ["d", "b", "e"] and cache.nbytes == 20
    assert not cache.put("big", "z" * 11)  # bigger than max_bytes // 16: never kept
    assert cache.get("big") is None
    bytes_cache = Texts(maxsize=100, max_bytes=30, max_item_bytes=10)
    for k in "abcdefgh":
        bytes_cache.put(k, "x" * 8)
    assert list(bytes_cache) == ["f", "g", "h"] and bytes_cache.nbytes == 24  # by bytes
    nothing = Texts(maxsize=0, max_bytes=1000)
    assert not nothing.put("a", "x")
    assert len(nothing) == 0


def test_the_result_cache_is_bounded_by_size(base: PolicyBase) -> None:
    from graphql import ExecutionResult

    from core.api.context import ResultCache

    cache = ResultCache(max_bytes=16 * 1024 * 1024)
    small = ExecutionResult(data={"policy": {"parameter": {"value": 6}}})
    big = ExecutionResult(data={"rows": ["x" * 1000] * 1000})  # ~2 MB measured
    k = ResultCache.key("{ q }", None, {"j": "640121"}, base.version)
    assert cache.sizeof(k, small) < 200
    assert cache.sizeof(k, big) > 1024 * 1024
    assert cache.put(k, small)
    assert not cache.put(ResultCache.key("{ big }", None, None, base.version), big)
    assert len(cache) == 1 and cache.get(k) is small


def test_graphiql_on_get(client: Client) -> None:
    r = client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert "graphiql" in r.text.lower()


def test_query_via_get(client: Client) -> None:
    r = client.get("/graphql", params={"query": '{ jurisdiction(code: "640121") { name } }'})
    assert r.status_code == 200
    assert r.json() == {"data": {"jurisdiction": {"name": "永宁县"}}}


def test_healthz(client: Client, base: PolicyBase) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["policyVersion"] == base.version
    assert {p["name"] for p in body["plugins"]} >= {"national", "ningxia"}
    assert ok(client, "{ policyVersion }") == {"policyVersion": base.version}


def test_schema_file_matches_the_code() -> None:
    assert SCHEMA_FILE.exists(), "schema/schema.graphql is missing: run `doudi schema export`"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl(), (
        "schema/schema.graphql is out of date with core/api: run `doudi schema export`"
    )


def test_graphiql_introspection_passes_the_limits(client: Client) -> None:
    from graphql import get_introspection_query

    data = ok(client, get_introspection_query(descriptions=True))
    names = {t["name"] for t in data["__schema"]["types"]}
    assert {"Policy", "ParameterValue", "Jurisdiction", "Level", "JSON", "Date"} <= names


def test_validation_is_cached_by_query_text_and_still_reports_errors(base: PolicyBase) -> None:
    from core.api import limits
    from core.api import schema as api_schema

    q = '{ jurisdiction(code: "640121") { code name } }'
    for _ in range(3):
        assert api_schema.execute_sync(q, base).errors is None
    assert sum(1 for key in limits._VALIDATED if key[0] == q) == 1
    deep = _nested(MAX_DEPTH + 2)
    for _ in range(2):
        result = api_schema.execute_sync(deep, base)
        assert result.errors is not None
        assert "depth" in result.errors[0].message


def test_the_policy_base_is_built_lazily(monkeypatch: pytest.MonkeyPatch, base: PolicyBase) -> None:
    import core.api.app as app_module

    calls: list[int] = []

    def fake() -> PolicyBase:
        calls.append(1)
        return base

    monkeypatch.setattr(app_module, "get_policy_base", fake)
    c = Client(create_app())
    try:
        assert calls == []
        assert ok(c, '{ jurisdiction(code: "640121") { name } }') == {
            "jurisdiction": {"name": "永宁县"}
        }
        assert calls
    finally:
        c.close()


def test_a_policy_base_that_fails_to_load_is_a_503_with_its_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import core.api.app as app_module
    from core.errors import PluginLoadError

    def broken() -> PolicyBase:
        raise PluginLoadError("guizhou", "policy/x.yaml is broken")

    monkeypatch.setattr(app_module, "get_policy_base", broken)
    c = Client(create_app())
    try:
        r = c.post("/graphql", json={"query": "{ policyVersion }"})
        assert r.status_code == 503
        assert codes(r.json()["errors"]) == ["PLUGIN_LOAD_ERROR"]
        assert "guizhou" in r.json()["errors"][0]["message"]
        h = c.get("/healthz")
        assert h.status_code == 503
        assert h.json()["status"] == "error"
    finally:
        c.close()


def test_the_catalog_and_each_value_say_whether_doudi_acts_on_them(client: Client) -> None:
    # Yunnan 002 一(三): 「健全落实省、州、县、乡4级阳光低保投诉举报咨询、快速处置和反馈机制」 — a
    # value doudi records and shows, but no step of doudi acts on (it records no complaints).
    catalog = ok(client, "{ parameterCatalog { path applied notAppliedNote } }")["parameterCatalog"]
    by_path = {c["path"]: c for c in catalog}
    assert by_path["hotline.levels"]["applied"] is False
    assert by_path["hotline.levels"]["notAppliedNote"].startswith(
        "recorded, not yet applied by doudi: "
    )
    assert by_path["price_linkage.cpi_trigger"]["applied"] is False
    assert by_path[PHASE_OUT] == {"path": PHASE_OUT, "applied": True, "notAppliedNote": None}
    q = """query($j: String!, $d: Date, $p: String!) {
        policy(jurisdiction: $j, asOf: $d) { parameter(path: $p) { value applied notAppliedNote } }
    }"""
    p = ok(client, q, {"j": "530000", "d": "2024-01-01", "p": "hotline.levels"})["policy"][
        "parameter"
    ]
    assert (p["value"], p["applied"]) == (4, False)
    assert "no complaints" in p["notAppliedNote"]
