"""The audit chain's arithmetic (pure: no I/O, no clock): canonical JSON, the keyed MAC of an
entry, the digests of the records an entry vouches for, and checkpoint lines.

**Entries.** An entry (a case event, or a row of ``audit_entries``) carries a JSON ``document``
that repeats its own columns (chain, number in the chain, time, user, key id). Its ``hash`` is
``HMAC-SHA256(key, canonical(document) + prev_hash)`` in hex, where ``prev_hash`` is the hash of
the entry before it (of the same case for case events, and in the same chain for both: the
document holds ``chainPrevHash``). Without the key nobody can compute a valid hash, so an
entry can be neither changed nor forged, even by someone who can write every table. Entries
written before the key existed (migration 0009) were hashed with plain SHA-256
(:func:`legacy_hash`); the legacy seal vouches for them (:mod:`core.audit.store`).

**Records.** Households, payments, payment results, local settings and their audit rows are
rows that change; an entry names each record it wrote (``ref``, e.g. ``household:12``) with the
digest of the record's state before (``null`` when it created it) and after. A record's state is
what it holds of consequence for a household: for a household its county, version and whole
document; for a payment its case, month, run, place, amount, due date, status, attempt,
repayment date, hold reason, payee and account (not ``document``, which only repeats how it was
computed); the full row of results, local settings and their audit rows.

**Batches.** A payment run creates up to hundreds of thousands of payments in one transaction:
instead of one record each, the run's entry carries, per county, an aggregate digest over the
created payments' (case id, digest) in case-id order (:func:`aggregate`). The legacy seal does
the same over every row that existed before the key (by id).

**Canonical JSON** sorts keys, has no whitespace, keeps UTF-8 text, and writes an integral float
as an integer (PostgreSQL's JSONB keeps ``1000.0`` but turns ``1e16`` into an integer: the
digest must not depend on the database's number formatting).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = ""  # prev_hash of the first entry of a chain (and of a case's first event)
LINE_VERSION = 1

# Kinds of chain: one chain per kind and county (or jurisdiction, for local settings), so that
# writes in different counties never wait for each other.
CASES = "cases"
HOUSEHOLDS = "households"
PAYMENTS = "payments"
SETTINGS = "settings"
LEGACY = "legacy"  # one entry: the seal over what existed before the key
CHAIN_KINDS = (CASES, HOUSEHOLDS, PAYMENTS, SETTINGS, LEGACY)


def chain_name(kind: str, code: str | None = None) -> str:
    """``cases:140302`` (the chain of a kind at a code), or ``legacy``."""
    if kind not in CHAIN_KINDS:
        raise ValueError(f"unknown chain kind {kind!r}")
    return kind if code is None else f"{kind}:{code}"


def chain_kind(chain: str) -> str:
    return chain.split(":", 1)[0]


def chain_code(chain: str) -> str | None:
    parts = chain.split(":", 1)
    return parts[1] if len(parts) == 2 else None


# -- canonical forms and hashes ----------------------------------------------------------------


_PLAIN = frozenset((str, int, bool, type(None)))


def _normalise(value: Any) -> Any:
    # Exact types first (what JSON from the database and the state machine is made of): an
    # isinstance against an ABC such as Mapping costs a microsecond, and an event has hundreds
    # of values. Subclasses (StrEnum, OrderedDict ...) take the general path below.
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): _normalise(v) for k, v in value.items()}
    if kind is list:
        return [_normalise(v) for v in value]
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def canonical(value: Any) -> str:
    """The text that is hashed (see the module's docstring)."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def legacy_canonical(value: Any) -> str:
    """The canonical form of events written before migration 0009 (no number normalising)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def mac(secret: bytes, document: Mapping[str, Any], prev_hash: str) -> str:
    """The hash of an entry: HMAC-SHA256 under the audit key."""
    message = (canonical(document) + prev_hash).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def legacy_hash(document: Mapping[str, Any], prev_hash: str) -> str:
    """The plain SHA-256 of an event written before the audit key (anyone can recompute it)."""
    return hashlib.sha256((legacy_canonical(document) + prev_hash).encode("utf-8")).hexdigest()


def digest(value: Any) -> str:
    """SHA-256 of the canonical form of ``value`` (a record's state)."""
    return hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()


def legacy_data_hash(data: Mapping[str, Any]) -> str:
    """The digest of a case's data in events written before migration 0009."""
    return hashlib.sha256(legacy_canonical(data).encode("utf-8")).hexdigest()


def aggregate(members: Iterable[tuple[int, str]]) -> str:
    """The digest of a batch: SHA-256 over ``"<id> <digest>\\n"`` in the order given (callers
    sort by id)."""
    h = hashlib.sha256()
    for ident, d in members:
        h.update(f"{ident} {d}\n".encode("ascii"))
    return h.hexdigest()


# -- what each record's digest covers ----------------------------------------------------------


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def household_state(county: str, version: int, document: Mapping[str, Any]) -> dict[str, Any]:
    return {"county": county, "version": version, "document": document}


def household_digest(county: str, version: int, document: Mapping[str, Any]) -> str:
    return digest(household_state(county, version, document))


# The columns of a payment that its digest covers, in this order.
PAYMENT_FIELDS = (
    "case_id",
    "month",
    "run_id",
    "household_id",
    "program",
    "county",
    "prefecture",
    "province",
    "amount_fen",
    "due_date",
    "status",
    "attempt",
    "repay_by",
    "hold_reason",
    "payee_name",
    "payee_id_number",
    "bank",
    "account_number",
    "version",
)


def payment_digest(values: Sequence[Any]) -> str:
    """The digest of a payment's state: its :data:`PAYMENT_FIELDS`, in order (dates as ISO),
    as a JSON array in ``json.dumps``' default form, which is also PostgreSQL's
    ``json_build_array(...)::text`` (", " between items, the same escapes): a payment run's
    aggregate is computed by the database (core.payments.store) and verified in Python."""
    state = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
    return hashlib.sha256(json.dumps(state, ensure_ascii=False).encode("utf-8")).hexdigest()


def payment_result_digest(
    payment_id: int,
    seq: int,
    attempt: int,
    status: str,
    on: dt.date,
    note: str | None,
    repay_by: dt.date | None,
    user_id: int,
) -> str:
    return digest([payment_id, seq, attempt, status, on, note, _iso(repay_by), user_id])


def setting_digest(
    jurisdiction: str,
    path: str,
    value: Any,
    effective_from: dt.date,
    until: dt.date | None,
    source_text: str,
) -> str:
    return digest(
        {
            "jurisdiction": jurisdiction,
            "path": path,
            "value": value,
            "from": effective_from,
            "until": _iso(until),
            "source": source_text,
        }
    )


def setting_audit_digest(
    setting_id: int,
    user_id: int,
    jurisdiction: str,
    path: str,
    effective_from: dt.date,
    until: dt.date | None,
    old_value: Any,
    new_value: Any,
    source_text: str,
) -> str:
    return digest(
        {
            "settingId": setting_id,
            "userId": user_id,
            "jurisdiction": jurisdiction,
            "path": path,
            "from": effective_from,
            "until": _iso(until),
            "old": old_value,
            "new": new_value,
            "source": source_text,
        }
    )


def ref(table: str, ident: int) -> str:
    """How an entry names a record: ``household:12``."""
    return f"{table}:{ident}"


# -- checkpoints -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One line of the checkpoint log: the heads (newest number and hash) of chains at a time."""

    at: str
    key_id: str
    heads: Mapping[str, tuple[int, str]]


def checkpoint_line(secret: bytes, key_id: str, at: dt.datetime, heads: Mapping[str, Any]) -> str:
    """A checkpoint as one line of JSON, authenticated by ``mac`` (no newline at the end)."""
    body: dict[str, Any] = {
        "v": LINE_VERSION,
        "at": at.isoformat(),
        "keyId": key_id,
        "heads": {c: [int(s), str(h)] for c, (s, h) in sorted(heads.items())},
    }
    body["mac"] = hmac.new(secret, canonical(body).encode("utf-8"), hashlib.sha256).hexdigest()
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class BadCheckpoint(ValueError):
    """A line of the checkpoint log that is not a checkpoint signed by this key."""


def parse_checkpoint_line(secret: bytes, key_id: str, text: str) -> Checkpoint:
    try:
        body = json.loads(text)
    except ValueError:
        raise BadCheckpoint("not JSON") from None
    if not isinstance(body, dict) or body.get("v") != LINE_VERSION:
        raise BadCheckpoint("not a doudi checkpoint")
    if body.get("keyId") != key_id:
        raise BadCheckpoint(f"written with another audit key ({body.get('keyId')})")
    given = body.pop("mac", None)
    expected = hmac.new(secret, canonical(body).encode("utf-8"), hashlib.sha256).hexdigest()
    if not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise BadCheckpoint("its MAC does not match (altered, or forged without the key)")
    heads = body.get("heads")
    if not isinstance(heads, dict):
        raise BadCheckpoint("no heads")
    return Checkpoint(
        str(body.get("at")),
        key_id,
        {str(c): (int(v[0]), str(v[1])) for c, v in heads.items()},
    )


__all__ = [
    "CASES",
    "CHAIN_KINDS",
    "GENESIS",
    "HOUSEHOLDS",
    "LEGACY",
    "PAYMENTS",
    "PAYMENT_FIELDS",
    "SETTINGS",
    "BadCheckpoint",
    "Checkpoint",
    "aggregate",
    "canonical",
    "chain_code",
    "chain_kind",
    "chain_name",
    "checkpoint_line",
    "digest",
    "household_digest",
    "household_state",
    "legacy_canonical",
    "legacy_data_hash",
    "legacy_hash",
    "mac",
    "parse_checkpoint_line",
    "payment_digest",
    "payment_result_digest",
    "ref",
    "setting_audit_digest",
    "setting_digest",
]
