"""GraphQL: calendar (wired into :mod:`core.api.schema` by inheritance)."""

from __future__ import annotations

import strawberry


@strawberry.type
class CalendarQuery:
    pass


@strawberry.type
class CalendarMutation:
    pass
