"""Local settings: validated, checked against the plugins' rules, audited, and layered."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

import core.policy.local_settings as ls
import core.policy.local_store as store
from core.access.roles import Forbidden, User
from core.access.tokens import create_user
from core.errors import InvalidInput, UnknownParameter
from core.policy.local_settings import (
    LOCAL_ORIGIN,
    ConstraintRejected,
    LocalSetting,
    layers_from_settings,
    policy_with_local_layers,
)
from core.policy.local_store import (
    audit_log,
    local_layers,
    local_settings_revision,
    set_local_parameter,
)
from core.policy.model import LayerKind
from core.policy.provider import PolicyProvider
from core.storage.tables import LocalSettingAuditRow, LocalSettingRow

D = dt.date
WUHUA, PANLONG, KUNMING, YUNNAN = "530102", "530103", "530100", "530000"
URBAN, TEKUN = "dibao.standard.urban", "tekun.standard.basic"
LIMIT = "temporary.approval.township_limit"
MULTIPLE = "tekun.standard.basic_min_multiple_of_urban_dibao"
RULE = "yunnan.tekun_basic_standard_floor"
SRC = "昆明市民政局关于调整城乡低保标准的通知(测试用示例,非正式文件)"


def add_user(db, registry, role: str, code: str) -> User:
    with db.sessions() as s:
        return create_user(s, f"{role}@{code}", role, code, registry)[0]


def counts(db) -> tuple[int, int, int]:
    """(settings, audit rows, revision)."""
    with db.sessions() as s:
        n_settings = s.scalar(select(func.count()).select_from(LocalSettingRow)) or 0
        n_audit = s.scalar(select(func.count()).select_from(LocalSettingAuditRow)) or 0
        return n_settings, n_audit, local_settings_revision(s)


@pytest.fixture
def officials(db, registry):
    return {
        "wuhua": add_user(db, registry, "county_approver", WUHUA),
        "kunming": add_user(db, registry, "county_approver", KUNMING),
        "yunnan": add_user(db, registry, "province_admin", YUNNAN),
    }


@pytest.fixture
def put(db, base):
    """set_local_parameter in a fresh session, with the installed plugins."""

    def put(user, code, path, value, start, until=None, source=SRC):
        with db.sessions() as s:
            return set_local_parameter(s, user, code, path, value, start, until, source, base)

    return put


def test_a_local_setting_becomes_a_local_layer(db, registry, base, officials, put):
    put(officials["wuhua"], WUHUA, URBAN, 800, D(2024, 1, 1))
    with db.sessions() as s:
        layers = local_layers(s, registry)
    assert [(la.ref.jurisdiction.code, la.ref.kind, la.ref.origin) for la in layers] == [
        (WUHUA, LayerKind.LOCAL, LOCAL_ORIGIN)
    ]
    policy = policy_with_local_layers(base, layers)
    got = policy.parameter(WUHUA, URBAN, D(2024, 3, 1))
    assert got.value == 800
    assert got.layer.kind is LayerKind.LOCAL and got.layer.origin == "local"
    assert got.source.document.title == SRC  # the official's own citation
    assert "recorded in doudi by county_approver@530102" in got.source.document.note
    assert not policy.parameter(WUHUA, URBAN, D(2023, 12, 31)).is_set  # not before its date
    assert not policy.parameter(PANLONG, URBAN, D(2024, 3, 1)).is_set  # not at a sibling
    assert base.parameter(WUHUA, URBAN, D(2024, 3, 1)).is_set is False  # base unchanged


def test_a_local_setting_wins_over_plugin_data_at_the_same_jurisdiction(
    db, registry, base, officials, put
):
    qiannan, duyun, amount = "522700", "522701", "programs.retrenched_1960s_workers.monthly_amount"
    plugin = base.parameter(qiannan, amount, D(2024, 1, 1))
    assert plugin.value == 400 and plugin.layer.kind is LayerKind.PLUGIN
    official = add_user(db, registry, "county_approver", qiannan)
    put(official, qiannan, amount, 450, D(2024, 1, 1))
    with db.sessions() as s:
        policy = policy_with_local_layers(base, local_layers(s, registry))
    got = policy.parameter(duyun, amount, D(2024, 1, 1))  # inherited by the county
    assert got.value == 450
    assert (got.layer.jurisdiction.code, got.layer.kind) == (qiannan, LayerKind.LOCAL)
    assert [(o.value, o.layer.origin) for o in got.overrides] == [(400, "guizhou")]
    assert policy.parameter(qiannan, amount, D(2023, 12, 31)).layer.origin == "guizhou"


def test_yunnan_rejects_a_tekun_standard_below_1_3_times_urban_dibao(db, officials, put):
    put(officials["kunming"], KUNMING, URBAN, 800, D(2024, 1, 1))
    before = counts(db)
    with pytest.raises(ConstraintRejected) as err:
        put(officials["wuhua"], WUHUA, TEKUN, 1000, D(2024, 1, 1))  # 1000 < 1.3 × 800 = 1040
    assert err.value.code == "CONSTRAINT_VIOLATION"
    [problem] = err.value.problems
    assert (problem.rule_id, problem.jurisdiction.code, problem.as_of) == (
        RULE,
        WUHUA,
        D(2024, 1, 1),
    )
    assert "1040" in err.value.message
    assert counts(db) == before  # no setting, no audit row, revision unchanged

    put(officials["wuhua"], WUHUA, TEKUN, 1040, D(2024, 1, 1))  # exactly 1.3 × is fine
    assert counts(db)[:2] == (2, 2)


def test_a_change_that_breaks_the_rule_below_it_is_rejected(db, officials, put):
    put(officials["kunming"], KUNMING, URBAN, 800, D(2024, 1, 1))
    put(officials["wuhua"], WUHUA, TEKUN, 1040, D(2024, 1, 1))
    before = counts(db)
    with pytest.raises(ConstraintRejected) as err:
        # Raising the prefecture's dibao standard would leave Wuhua's tekun standard too low.
        put(officials["kunming"], KUNMING, URBAN, 850, D(2024, 7, 1))
    assert [(p.jurisdiction.code, p.as_of) for p in err.value.problems] == [(WUHUA, D(2024, 7, 1))]
    assert counts(db) == before
    # Raising Wuhua's tekun standard first makes the new dibao standard acceptable.
    put(officials["wuhua"], WUHUA, TEKUN, 1105, D(2024, 7, 1))
    put(officials["kunming"], KUNMING, URBAN, 850, D(2024, 7, 1))


def test_procedural_rules_and_multiples_are_not_local_settings(db, officials, put):
    for path, value in [
        (MULTIPLE, 1.2),
        ("dibao.approval.confirming_level", "county"),
        ("dibao.phase_out.max_months", 999),
    ]:
        with pytest.raises(ls.NotLocallySettable, match="set by policy documents"):
            put(officials["yunnan"], YUNNAN, path, value, D(2024, 7, 1))
    assert counts(db) == (0, 0, 0)


def test_the_rule_is_checked_over_the_whole_span_of_the_value(db, officials, put):
    put(officials["kunming"], KUNMING, URBAN, 800, D(2022, 1, 1))
    # Yunnan's rule applies from 2022-07-01: a value ending before it is accepted ...
    put(officials["wuhua"], WUHUA, TEKUN, 900, D(2022, 1, 1), until=D(2022, 6, 30))
    # ... an open-ended one is rejected on the day the rule starts.
    with pytest.raises(ConstraintRejected) as err:
        put(officials["wuhua"], WUHUA, TEKUN, 950, D(2022, 3, 1))
    assert [p.as_of for p in err.value.problems] == [D(2022, 7, 1)]


def test_values_are_validated_and_nothing_is_written_when_invalid(db, officials, put):
    official = officials["wuhua"]
    cases = [
        (UnknownParameter, dict(path="dibao.standard.urbn", value=800)),
        (InvalidInput, dict(path=URBAN, value="八百")),
        (InvalidInput, dict(path=URBAN, value=-1)),
        (InvalidInput, dict(path=URBAN, value=None)),
        (ls.NotLocallySettable, dict(path="dibao.benefit.method", value="lottery")),
        (InvalidInput, dict(path=URBAN, value=800, until=D(2023, 12, 31))),
        (InvalidInput, dict(path=URBAN, value=800, source="  ")),
    ]
    for error, kw in cases:
        with pytest.raises(error):
            put(
                official,
                WUHUA,
                kw["path"],
                kw["value"],
                D(2024, 1, 1),
                until=kw.get("until"),
                source=kw.get("source", SRC),
            )
    assert counts(db) == (0, 0, 0)


def test_audit_rows_keep_old_and_new_values(db, registry, officials, put):
    put(officials["wuhua"], WUHUA, URBAN, 800, D(2024, 1, 1))
    put(officials["kunming"], WUHUA, URBAN, 820, D(2024, 1, 1), source="更正后的文件")  # replaces
    put(officials["yunnan"], YUNNAN, LIMIT, 1000, D(2024, 1, 1))
    with db.sessions() as s:
        settings = store.list_local_settings(s, officials["yunnan"], YUNNAN, registry)
        log = audit_log(s, officials["yunnan"], YUNNAN, registry)
    assert [(x.jurisdiction, x.path, x.value, x.set_by) for x in settings] == [
        (YUNNAN, LIMIT, 1000, "province_admin@530000"),
        (WUHUA, URBAN, 820, "county_approver@530100"),
    ]
    rows = [
        (e.user, e.role, e.jurisdiction, e.path, e.old_value, e.old_origin, e.new_value)
        for e in reversed(log)
    ]
    assert rows == [
        ("county_approver@530102", "county_approver", WUHUA, URBAN, None, None, 800),
        ("county_approver@530100", "county_approver", WUHUA, URBAN, 800, "local", 820),
        ("province_admin@530000", "province_admin", YUNNAN, LIMIT, None, None, 1000),
    ]
    assert [e.source_text for e in reversed(log)] == [SRC, "更正后的文件", SRC]
    assert all(e.at.tzinfo is not None and e.effective_from == D(2024, 1, 1) for e in log)
    assert counts(db) == (2, 3, 3)


def test_settings_follow_each_other_in_time(registry):
    def setting(i, start, until=None, value=0):
        return LocalSetting(
            i, WUHUA, URBAN, value, start, until, "src", "u", dt.datetime.now(dt.UTC)
        )

    [layer] = layers_from_settings(
        [
            setting(2, D(2024, 1, 1), value=800),
            setting(1, D(2023, 1, 1), value=700),  # open-ended: ends when the next one starts
            setting(3, D(2025, 1, 1), D(2025, 6, 30), value=900),
        ],
        registry,
    )
    assert [(v.value, v.start, v.end) for v in layer.values] == [
        (700, D(2023, 1, 1), D(2024, 1, 1)),
        (800, D(2024, 1, 1), D(2025, 1, 1)),
        (900, D(2025, 1, 1), D(2025, 7, 1)),
    ]


def test_concurrent_settings_cannot_together_break_a_rule(db, registry, base, officials):
    """Alone, each value is fine (the other is not set); together they break the 1.3× rule.
    Writers are serialised, so the second sees the first and is rejected."""
    start = threading.Barrier(2, timeout=30)
    results: list[object] = []
    lock = threading.Lock()

    def write(user, code, path, value):
        start.wait()
        try:
            with db.sessions() as s:
                r: object = set_local_parameter(
                    s, user, code, path, value, D(2024, 1, 1), None, SRC, base
                )
        except Exception as exc:  # collected and checked below
            r = exc
        with lock:
            results.append(r)

    threads = [
        threading.Thread(target=write, args=(officials["kunming"], KUNMING, URBAN, 800)),
        threading.Thread(target=write, args=(officials["wuhua"], WUHUA, TEKUN, 1000)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(type(r).__name__ for r in results) == ["ConstraintRejected", "LocalSetting"]
    assert counts(db) == (1, 1, 1)


def test_provider_rebuilds_when_the_revision_changes(db, base, officials, monkeypatch):
    now = [0.0]
    provider = PolicyProvider(db.sessions, base, ttl=1.0, clock=lambda: now[0])
    first = provider.current()
    assert provider.revision == 0 and provider.rebuilds == 1
    assert provider.current() is first
    assert not first.parameter(WUHUA, URBAN, D(2024, 1, 1)).is_set

    # A write from this process is visible at once.
    with db.sessions() as s:
        provider.set_local_parameter(
            s, officials["wuhua"], WUHUA, URBAN, 800, D(2024, 1, 1), None, SRC
        )
    second = provider.current()
    assert second is not first and provider.revision == 1
    assert second.parameter(WUHUA, URBAN, D(2024, 1, 1)).value == 800
    assert second.version != first.version

    # A write from elsewhere (simulated: no in-process signal) shows after the TTL.
    monkeypatch.setattr(store, "_notify_local_write", lambda: None)
    with db.sessions() as s:
        set_local_parameter(
            s, officials["wuhua"], WUHUA, URBAN, 810, D(2024, 1, 1), None, SRC, base
        )
    now[0] += 0.5
    assert provider.current() is second  # within the TTL: no database round trip
    now[0] += 0.6
    third = provider.current()
    assert third.parameter(WUHUA, URBAN, D(2024, 1, 1)).value == 810
    assert provider.rebuilds == 3

    # After the TTL with no change: the revision is read, nothing is rebuilt.
    now[0] += 5
    assert provider.current() is third and provider.rebuilds == 3


def test_provider_drops_local_layers_of_the_base_it_is_given(db, registry, base, officials, put):
    put(officials["wuhua"], WUHUA, URBAN, 800, D(2024, 1, 1))
    with db.sessions() as s:
        with_local = policy_with_local_layers(base, local_layers(s, registry))
    provider = PolicyProvider(db.sessions, with_local)
    assert not any(la.ref.kind is LayerKind.LOCAL for la in provider.plugin_base.index.layers)
    assert provider.current().parameter(WUHUA, URBAN, D(2024, 1, 1)).value == 800


def test_forbidden_is_checked_before_validation(db, officials, registry, put):
    clerk = add_user(db, registry, "village_clerk", WUHUA)
    with pytest.raises(Forbidden):
        put(clerk, WUHUA, "no.such.path", "x", D(2024, 1, 1))
    assert counts(db) == (0, 0, 0)
