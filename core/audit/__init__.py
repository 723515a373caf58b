"""The tamper-evident audit trail: keyed hash chains over every write that changes what a
household receives, with checkpoints of the chain heads kept outside the database.

What it protects against: someone who can write the database (an administrator, a stolen
backup restored with edits, SQL injection elsewhere) but holds neither the audit key nor the
checkpoint log. Every entry is authenticated with HMAC-SHA256 under a key the database never
holds (:mod:`core.audit.keys`), so a changed entry cannot be re-hashed; entries are numbered
without gaps per chain, so a deleted one leaves a hole; the newest number of every chain is
written periodically to a checkpoint log outside the database (:mod:`core.audit.checkpoints`),
so deleting the newest entries, a whole case, or everything, shows against the last
checkpoint. What it cannot catch is said by :data:`core.audit.verify.LIMITS` and printed by
``doudi audit verify``.

- :mod:`core.audit.chain` (pure): canonical JSON, the MAC, record digests, checkpoint lines.
- :mod:`core.audit.keys`: the key (a file outside the database, or ``DOUDI_AUDIT_KEY``).
- :mod:`core.audit.checkpoints`: the append-only checkpoint file and the optional syslog copy.
- :mod:`core.audit.store`: chains in the database (one per county and kind: a write locks the
  head of its own county's chain only), the legacy seal, the checkpoint writer.
- :mod:`core.audit.verify`: ``doudi audit verify``.
"""
