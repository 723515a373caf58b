"""Who may do what: tokens hashed at rest, roles, jurisdiction scopes, typed errors, no changes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from core.access.roles import (
    PERMISSIONS,
    Action,
    Forbidden,
    Role,
    Unauthenticated,
    User,
    authorize,
    bearer_token,
    hash_token,
)
from core.access.tokens import (
    authenticate,
    create_user,
    deactivate_user,
    issue_token,
    list_users,
    revoke_tokens,
)
from core.errors import DoudiError, InvalidInput, UnknownJurisdiction
from core.households.store import (
    create_household,
    get_household,
    list_decisions,
    list_households,
    record_decision,
    remove_member,
    update_household,
)
from core.policy.local_store import audit_log, list_local_settings, set_local_parameter
from core.storage.tables import Base, HouseholdRow, LocalSettingAuditRow, LocalSettingRow
from tests.support.households import household_doc, id_number

WUHUA, PANLONG, KUNMING, YUNNAN, NANMING = "530102", "530103", "530100", "530000", "520102"
P1, P2 = id_number(WUHUA, 1), id_number(WUHUA, 2)
D = dt.date


def add_user(db, registry, role: str, code: str, name: str = "") -> tuple[User, str]:
    with db.sessions() as s:
        return create_user(s, name or f"{role}@{code}", role, code, registry)


def count(db, model) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# -- pure ---------------------------------------------------------------------------------------


def test_errors_are_typed():
    assert issubclass(Unauthenticated, DoudiError) and Unauthenticated.code == "UNAUTHENTICATED"
    assert issubclass(Forbidden, DoudiError) and Forbidden.code == "FORBIDDEN"


def test_permission_table():
    writers = {Role.VILLAGE_CLERK, Role.TOWNSHIP_OFFICER, Role.COUNTY_APPROVER, Role.PROVINCE_ADMIN}
    # The analyst sees aggregates of simulations only: no household, decision or setting.
    assert PERMISSIONS[Role.ANALYST] == {Action.RUN_SIMULATIONS}
    for role in Role:
        granted = PERMISSIONS[role]
        if role is Role.ANALYST:
            continue
        assert {
            Action.READ_HOUSEHOLDS,
            Action.READ_DECISIONS,
            Action.READ_LOCAL_SETTINGS,
        } <= granted
        assert (Action.WRITE_HOUSEHOLDS in granted) == (role in writers)
        assert (Action.RECORD_DECISIONS in granted) == (role in writers)
        assert (Action.SET_LOCAL_PARAMETERS in granted) == (
            role in {Role.COUNTY_APPROVER, Role.PROVINCE_ADMIN}
        )


def test_department_data_by_role():
    """Department data is personal data of people who never applied: village clerks never see
    it; auditors only read; townships verify the findings assigned to them; counties (and the
    province, which assigns no township work) import, compare, verify and export."""
    data = {
        Action.READ_DEPARTMENT_DATA,
        Action.RESOLVE_FINDINGS,
        Action.WRITE_LOW_INCOME,
        Action.EXPORT_ROSTERS,
        Action.IMPORT_DEPARTMENT_DATA,
        Action.RUN_COMPARISONS,
        Action.REQUEST_VERIFICATION,
    }
    county_only = data - {Action.READ_DEPARTMENT_DATA, Action.RESOLVE_FINDINGS,
                          Action.WRITE_LOW_INCOME}  # fmt: skip
    assert PERMISSIONS[Role.VILLAGE_CLERK] & data == set()
    assert PERMISSIONS[Role.AUDITOR] & data == {Action.READ_DEPARTMENT_DATA}
    assert PERMISSIONS[Role.TOWNSHIP_OFFICER] & data == data - county_only
    assert PERMISSIONS[Role.COUNTY_APPROVER] & data == data
    assert PERMISSIONS[Role.PROVINCE_ADMIN] & data == data - {Action.RESOLVE_FINDINGS}


def test_authorize_by_role_and_jurisdiction(registry):
    clerk = User(1, "c", Role.VILLAGE_CLERK, WUHUA)
    admin = User(2, "a", Role.PROVINCE_ADMIN, YUNNAN)
    auditor = User(3, "x", Role.AUDITOR, YUNNAN)
    assert authorize(clerk, Action.WRITE_HOUSEHOLDS, WUHUA, registry) is clerk
    assert authorize(admin, Action.SET_LOCAL_PARAMETERS, WUHUA, registry) is admin  # under it
    with pytest.raises(Unauthenticated):
        authorize(None, Action.READ_HOUSEHOLDS, WUHUA, registry)
    with pytest.raises(Forbidden, match="outside your jurisdiction"):
        authorize(clerk, Action.READ_HOUSEHOLDS, PANLONG, registry)  # a sibling county
    with pytest.raises(Forbidden, match="outside your jurisdiction"):
        authorize(clerk, Action.READ_HOUSEHOLDS, KUNMING, registry)  # its own parent
    with pytest.raises(Forbidden, match="outside your jurisdiction"):
        authorize(admin, Action.READ_HOUSEHOLDS, NANMING, registry)  # another province
    with pytest.raises(Forbidden, match="may not"):
        authorize(auditor, Action.WRITE_HOUSEHOLDS, WUHUA, registry)
    with pytest.raises(Forbidden, match="may not set local parameters"):
        authorize(clerk, Action.SET_LOCAL_PARAMETERS, WUHUA, registry)


def test_bearer_header():
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None


# -- users and tokens --------------------------------------------------------------------------


def test_tokens_are_hashed_at_rest(db, registry):
    u, token = add_user(db, registry, "county_approver", WUHUA, "王科长")
    assert len(token) >= 43  # token_urlsafe(32)
    other = issue_token(db.sessions(), "王科长")
    assert other != token
    # Dump every row of every table: neither raw token appears; their hashes do.
    dump = []
    with db.sessions() as s:
        for table in Base.metadata.sorted_tables:
            dump += [json.dumps([str(v) for v in row]) for row in s.execute(select(table))]
    text = "\n".join(dump)
    assert token not in text and other not in text
    assert hash_token(token) in text and hash_token(other) in text
    with db.sessions() as s:
        assert authenticate(s, token) == u
        assert authenticate(s, other) == u


def test_authentication_failures(db, registry):
    u, token = add_user(db, registry, "village_clerk", WUHUA, "clerk")
    with db.sessions() as s:
        with pytest.raises(Unauthenticated):
            authenticate(s, None)
        with pytest.raises(Unauthenticated):
            authenticate(s, "")
        with pytest.raises(Unauthenticated):
            authenticate(s, token + "x")
    assert revoke_tokens(db.sessions(), "clerk") == 1
    with db.sessions() as s, pytest.raises(Unauthenticated):
        authenticate(s, token)
    fresh = issue_token(db.sessions(), "clerk")
    with db.sessions() as s:
        assert authenticate(s, fresh) == u
    deactivate_user(db.sessions(), "clerk")
    with db.sessions() as s, pytest.raises(Unauthenticated):
        authenticate(s, fresh)
    with pytest.raises(InvalidInput):
        issue_token(db.sessions(), "clerk")  # disabled


def test_user_validation(db, registry):
    with pytest.raises(InvalidInput, match="unknown role"):
        add_user(db, registry, "mayor", WUHUA)
    with pytest.raises(UnknownJurisdiction):
        add_user(db, registry, "village_clerk", "999999")
    add_user(db, registry, "auditor", "national", "审计")
    with pytest.raises(InvalidInput, match="already exists"):
        add_user(db, registry, "auditor", YUNNAN, "审计")
    with db.sessions() as s:
        assert [(u.name, u.jurisdiction) for u in list_users(s)] == [("审计", "000000")]


# -- households: every refusal is typed and changes nothing ------------------------------------


@pytest.fixture
def world(db, registry):
    """Users around Kunming and one household in Wuhua district."""
    users = {
        "clerk": add_user(db, registry, "village_clerk", WUHUA)[0],
        "officer": add_user(db, registry, "township_officer", WUHUA)[0],
        "panlong": add_user(db, registry, "village_clerk", PANLONG)[0],
        "approver": add_user(db, registry, "county_approver", WUHUA)[0],
        "kunming": add_user(db, registry, "county_approver", KUNMING)[0],
        "admin": add_user(db, registry, "province_admin", YUNNAN)[0],
        "guizhou": add_user(db, registry, "province_admin", "520000")[0],
        "auditor": add_user(db, registry, "auditor", YUNNAN)[0],
    }
    with db.sessions() as s:
        h = create_household(
            s,
            users["clerk"],
            household_doc(WUHUA, (P1, "张三", "head"), (P2, "李四", "spouse")),
            registry,
        )
    return users, h


def snapshot(db) -> list:
    with db.sessions() as s:
        return [(h.id, h.version, h.county, h.document) for h in s.scalars(select(HouseholdRow))]


@pytest.mark.parametrize("who", ["clerk", "officer", "approver", "kunming", "admin"])
def test_writers_within_scope_may_change_households(db, registry, world, who):
    users, h = world
    with db.sessions() as s:
        upd = update_household(
            s, users[who], h.id, household_doc(WUHUA, (P1, "张三", "head")), registry
        )
    assert upd.version == 2


@pytest.mark.parametrize(
    ("who", "error"),
    [
        (None, Unauthenticated),  # no token
        ("auditor", Forbidden),  # read-only role
        ("panlong", Forbidden),  # a sibling county
        ("guizhou", Forbidden),  # another province
    ],
)
def test_refused_household_writes_change_nothing(db, registry, world, who, error):
    users, h = world
    u = users.get(who) if who else None
    before = snapshot(db)
    new_doc = household_doc(WUHUA, (id_number(WUHUA, 9), "王五", "head"))
    attempts = [
        lambda s: create_household(s, u, new_doc, registry),
        lambda s: update_household(
            s, u, h.id, household_doc(WUHUA, (P1, "改名", "head")), registry
        ),
        lambda s: remove_member(s, u, h.id, P2, registry),
        lambda s: record_decision(s, u, h.id, "dibao", D(2024, 1, 1), {"eligible": True}, registry),
    ]
    for attempt in attempts:
        with db.sessions() as s, pytest.raises(error) as err:
            attempt(s)
        assert err.value.code in ("UNAUTHENTICATED", "FORBIDDEN")
    assert snapshot(db) == before


def test_moving_a_household_out_of_scope_is_refused(db, registry, world):
    users, h = world
    before = snapshot(db)
    moved = household_doc(PANLONG, (P1, "张三", "head"), (P2, "李四", "spouse"))
    with db.sessions() as s, pytest.raises(Forbidden):
        update_household(s, users["clerk"], h.id, moved, registry)
    assert snapshot(db) == before
    # A prefecture approver may move it between two of its counties.
    with db.sessions() as s:
        assert update_household(s, users["kunming"], h.id, moved, registry).county == PANLONG


def test_reads_need_a_token_and_are_scoped(db, registry, world):
    users, h = world
    with db.sessions() as s:
        for who in ("auditor", "clerk", "kunming", "admin"):
            assert get_household(s, users[who], h.id, registry).id == h.id
            assert list_decisions(s, users[who], h.id, registry) == []
        with pytest.raises(Unauthenticated):
            get_household(s, None, h.id, registry)
        with pytest.raises(Unauthenticated):
            list_households(s, None, WUHUA, registry)
        with pytest.raises(Forbidden):
            get_household(s, users["panlong"], h.id, registry)
        with pytest.raises(Forbidden):
            list_decisions(s, users["guizhou"], h.id, registry)
        with pytest.raises(Forbidden):
            list_households(s, users["clerk"], KUNMING, registry)  # above the user's level
        assert [x.id for x in list_households(s, users["auditor"], YUNNAN, registry).items] == [
            h.id
        ]
        assert list_households(s, users["panlong"], PANLONG, registry).items == ()


# -- local settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "code", "error"),
    [
        (None, WUHUA, Unauthenticated),
        ("clerk", WUHUA, Forbidden),  # wrong role
        ("officer", WUHUA, Forbidden),  # wrong role
        ("auditor", WUHUA, Forbidden),  # read-only
        ("approver", PANLONG, Forbidden),  # wrong jurisdiction
        ("approver", KUNMING, Forbidden),  # above the user's level
        ("guizhou", WUHUA, Forbidden),  # another province
    ],
)
def test_refused_local_settings_write_nothing(db, registry, base, world, who, code, error):
    users, _ = world
    u = users.get(who) if who else None
    with db.sessions() as s, pytest.raises(error):
        set_local_parameter(
            s, u, code, "dibao.standard.urban", 800, D(2024, 1, 1), None, "昆明市文件", base
        )
    assert count(db, LocalSettingRow) == 0
    assert count(db, LocalSettingAuditRow) == 0


def test_local_settings_allowed_roles_and_reading_them(db, registry, base, world):
    users, _ = world
    for who, code, value in (("approver", WUHUA, 800), ("kunming", PANLONG, 810)):
        with db.sessions() as s:
            set_local_parameter(
                s,
                users[who],
                code,
                "dibao.standard.urban",
                value,
                D(2024, 1, 1),
                None,
                "文件",
                base,
            )
    with db.sessions() as s:
        mine = list_local_settings(s, users["approver"], WUHUA, registry)
        assert [(x.jurisdiction, x.value) for x in mine] == [(WUHUA, 800)]
        kunming = list_local_settings(s, users["auditor"], KUNMING, registry)
        assert [(x.jurisdiction, x.value) for x in kunming] == [(WUHUA, 800), (PANLONG, 810)]
        assert len(audit_log(s, users["auditor"], YUNNAN, registry)) == 2
        with pytest.raises(Forbidden):
            audit_log(s, users["approver"], KUNMING, registry)
        with pytest.raises(Unauthenticated):
            list_local_settings(s, None, WUHUA, registry)


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("township_officer", "530000"),  # a province
        ("village_clerk", "530100"),  # a prefecture
        ("county_approver", "530000"),
        ("province_admin", "530102"),
    ],
)
def test_a_role_is_attached_at_its_own_level(db, registry, role, code):
    with pytest.raises(InvalidInput, match=r"works at .* level"):
        add_user(db, registry, role, code)
