"""GraphQL: schedules (wired into :mod:`core.api.schema` by inheritance)."""

from __future__ import annotations

import strawberry


@strawberry.type
class ScheduleQuery:
    pass


@strawberry.type
class ScheduleMutation:
    pass
