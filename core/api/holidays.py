"""GraphQL: holidays (wired into :mod:`core.api.schema` by inheritance)."""

from __future__ import annotations

import strawberry


@strawberry.type
class HolidayQuery:
    pass


@strawberry.type
class HolidayMutation:
    pass
