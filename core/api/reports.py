"""GraphQL: reports (wired into :mod:`core.api.schema` by inheritance)."""

from __future__ import annotations

import strawberry


@strawberry.type
class ReportQuery:
    pass


@strawberry.type
class ReportMutation:
    pass
