"""Tables for payments (SQLAlchemy models on :class:`core.db.models.Base`; imported by
:mod:`core.db.models` so that ``Base.metadata`` holds them)."""

from __future__ import annotations
