"""Finding a household by a member's name or resident ID number: ``householdSearch``
(wired into :mod:`core.api.schema` by inheritance of :class:`HouseholdSearchQuery`).

Results are summaries: the head's name, the number of members, where, and the matching
member. ID numbers are shown in full only to the staff who handle cases
(:func:`core.access.roles.may_see_id_numbers`); auditors and province administrators see them
masked (first 6 and last 4 characters). The masking happens here, on the server: a client
never receives what its user may not see.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from sqlalchemy.orm import Session

from core.access.roles import User, mask_id_number, may_see_id_numbers
from core.api.common import Info
from core.api.policy import Jurisdiction
from core.households import store
from core.households.store import HouseholdRecord

LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "householdSearch"): store.MAX_SEARCH,
    ("HouseholdSummary", "members"): 20,
}


@strawberry.type(description="A member in a search result (ID number masked unless you may see it)")
class MemberSummary:
    name: str
    relation: str
    id_number: str = strawberry.field(
        description="In full for village clerks, township officers and county approvers; "
        "masked (first 6 and last 4) for others."
    )
    id_number_masked: bool
    matches: bool = strawberry.field(description="Whether this member matched the search.")


@strawberry.type(description="A household found by householdSearch.")
class HouseholdSummary:
    id: strawberry.ID
    version: int
    area: str
    head_name: str | None
    members: list[MemberSummary] = strawberry.field(description="Active members, head first.")
    updated_at: dt.datetime
    county_code: strawberry.Private[str]

    @strawberry.field(description="The household's county.")
    def county(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.county_code))

    @classmethod
    def of(cls, r: HouseholdRecord, user: User, text: str) -> HouseholdSummary:
        full = may_see_id_numbers(user)
        words = text.strip()
        number = words.replace(" ", "").upper()
        active = sorted((m for m in r.members if m.active), key=lambda m: m.relation != "head")
        head = next((m.name for m in active if m.relation == "head"), None)
        return cls(
            id=strawberry.ID(str(r.id)),
            version=r.version,
            area=str(r.document.get("area", "")),
            head_name=head,
            members=[
                MemberSummary(
                    name=m.name,
                    relation=m.relation,
                    id_number=m.id_number if full else mask_id_number(m.id_number),
                    id_number_masked=not full,
                    matches=words in m.name
                    or (len(number) >= 6 and m.id_number.startswith(number)),
                )
                for m in active
            ],
            updated_at=r.updated_at,
            county_code=r.county,
        )


@strawberry.type
class HouseholdSearchQuery:
    @strawberry.field(
        description="Households at a jurisdiction and under it with an active member whose name "
        "contains text or whose ID number starts with it (6 characters or more); most recently "
        "changed first, at most 50 (token required; within your jurisdiction)."
    )
    async def household_search(
        self, info: Info, jurisdiction: str, text: str, first: int | None = 20
    ) -> list[HouseholdSummary]:
        context = info.context
        context.mark_private()
        registry = context.base.registry
        user = await context.user()
        limit = 20 if first is None else first

        def work(s: Session) -> list[HouseholdRecord]:
            return store.search_households(s, user, jurisdiction, registry, text, limit=limit)

        found = await context.in_session(work)
        return [HouseholdSummary.of(r, user, text) for r in found]


__all__ = ["LIST_SIZES", "HouseholdSearchQuery", "HouseholdSummary", "MemberSummary"]
