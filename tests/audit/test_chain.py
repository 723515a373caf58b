"""The audit chain's arithmetic: canonical forms, the MAC, checkpoint lines, and the payment
digest PostgreSQL computes being the one Python verifies."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import select, update

import core.audit.chain as ch
from core.audit.store import payment_row_digest
from core.payments.store import _PG_RUN_DIGESTS
from core.storage.tables import PaymentRow
from tests.support.audit_scene import WUHUA, Scene
from tests.support.standards import with_example_standards


def test_canonical_form_does_not_depend_on_how_a_database_writes_numbers():
    # JSONB keeps 1000.0 but reads 1e16 back as an integer: both hash as integers.
    assert ch.canonical({"b": 1000.0, "a": [1e16, 0.5]}) == '{"a":[10000000000000000,0.5],"b":1000}'
    assert ch.digest({"x": 1.0}) == ch.digest({"x": 1})
    assert ch.canonical({"name": "张三"}) == '{"name":"张三"}'


def test_the_mac_needs_the_key():
    doc = {"caseId": 1, "seq": 1}
    k1, k2 = secrets.token_bytes(32), secrets.token_bytes(32)
    assert ch.mac(k1, doc, "") == ch.mac(k1, dict(doc), "")
    assert ch.mac(k1, doc, "") != ch.mac(k2, doc, "")
    assert ch.mac(k1, doc, "") != ch.mac(k1, doc, "x")  # the link is covered
    assert ch.mac(k1, doc, "") != ch.legacy_hash(doc, "")


def test_checkpoint_lines_are_authenticated():
    key = secrets.token_bytes(32)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    line = ch.checkpoint_line(key, "kid", at, {"cases:530102": (7, "ab" * 32)})
    cp = ch.parse_checkpoint_line(key, "kid", line)
    assert cp.heads == {"cases:530102": (7, "ab" * 32)} and cp.at == at.isoformat()
    with pytest.raises(ch.BadCheckpoint, match="MAC does not match"):
        ch.parse_checkpoint_line(key, "kid", line.replace('[7,"', '[8,"'))
    with pytest.raises(ch.BadCheckpoint, match="another audit key"):
        ch.parse_checkpoint_line(key, "other", line)


def test_aggregate_depends_on_every_member_and_their_order():
    a = ch.aggregate([(1, "x"), (2, "y")])
    assert a != ch.aggregate([(2, "y"), (1, "x")])
    assert a != ch.aggregate([(1, "x")])
    assert a != ch.aggregate([(1, "x"), (2, "z")])


@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_computes_the_payment_digests_python_verifies(db, base):
    """A payee name with quotes, a backslash, control characters and CJK: json_build_array's
    text and json.dumps agree byte for byte, so the run's aggregate matches."""
    scene = Scene(db, with_example_standards(base))
    scene.active()
    scene.active()
    run = scene.run_payments().run_id
    odd = 'a"b\\c\nd\te\x01f\x1fg é 中文 \u2028 /'
    with db.sessions() as s, s.begin():
        first = s.scalar(select(PaymentRow.id).order_by(PaymentRow.id))
        s.execute(update(PaymentRow).where(PaymentRow.id == first).values(payee_name=odd))
    with db.sessions() as s:
        rows = s.execute(select(PaymentRow.__table__).order_by(PaymentRow.case_id)).all()
        ((county, count, digest),) = s.connection().execute(_PG_RUN_DIGESTS, {"run_id": run})
    assert (county, count) == (WUHUA, 2)
    assert digest == ch.aggregate([(r.case_id, payment_row_digest(r)) for r in rows])
