"""GraphQL: payments (wired into :mod:`core.api.schema` by inheritance)."""

from __future__ import annotations

import strawberry


@strawberry.type
class PaymentQuery:
    pass


@strawberry.type
class PaymentMutation:
    pass
