"""GraphQL: report deadlines, Guangxi's monthly statistics table and plugin campaigns (wired into
:mod:`core.api.schema` by inheritance of :class:`ReportQuery`).

- ``reportDeadlines(jurisdiction, from, to)`` and ``campaigns(jurisdiction, from, to)`` read the
  merged policy only: no token, cacheable like every policy answer.
- ``monthlyStatistics(jurisdiction, month)`` and ``monthlyStatisticsCsv`` read case data: a token
  whose user may read decisions at the jurisdiction, never cached. Expected failures
  (UNAUTHENTICATED, FORBIDDEN, INVALID_INPUT for a malformed or future month,
  UNKNOWN_JURISDICTION) are GraphQL errors with ``extensions.code``, like the other reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from core.api.common import Info
from core.api.context import Context
from core.api.policy import Jurisdiction, Source, TraceEntry
from core.eligibility.json import trace_to_json
from core.errors import InvalidInput
from core.policy.service import today
from core.reports import rules as reports
from core.reports import store

# For core.api.schema.LIST_SIZES (the cost estimate of the lists added here): at most 1830 days
# of three monthly reports; the statistics table has 35 lines.
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "reportDeadlines"): 3 * (reports.MAX_WINDOW_DAYS // 28 + 1),
    ("MonthlyStatistics", "rows"): 40,
}

From = Annotated[dt.date, strawberry.argument(name="from", description="First day (inclusive).")]
To = Annotated[dt.date, strawberry.argument(name="to", description="Last day (inclusive).")]
OptionalFrom = Annotated[
    dt.date | None,
    strawberry.argument(name="from", description="First day (inclusive); null: unbounded."),
]
OptionalTo = Annotated[
    dt.date | None,
    strawberry.argument(name="to", description="Last day (inclusive); null: unbounded."),
]
MonthArg = Annotated[
    str | None,
    strawberry.argument(description="The month (YYYY-MM); default: the previous month in China."),
]


@strawberry.type(
    description="A report due at a jurisdiction: what, for which month, by when, and the "
    "policy parameter (with its layer and source) the date comes from."
)
class ReportDeadline:
    kind: str = strawberry.field(
        description="village_monthly, township_to_county or monthly_statistics."
    )
    title: str
    title_zh: str
    period: str = strawberry.field(description="The month the report covers (YYYY-MM).")
    due: dt.date = strawberry.field(description="Due by this day (inclusive).")
    parameter: TraceEntry
    jurisdiction_code: strawberry.Private[str]

    @classmethod
    def of(cls, d: reports.ReportDeadline) -> ReportDeadline:
        return cls(
            kind=d.kind,
            title=d.title,
            title_zh=d.title_zh,
            period=d.period,
            due=d.due,
            parameter=TraceEntry.from_json(trace_to_json(d.parameter)),
            jurisdiction_code=d.jurisdiction,
        )

    @strawberry.field(description="The jurisdiction the deadline applies at.")
    def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.jurisdiction_code))


@strawberry.type(description="One phase of a campaign (end null: ongoing, 持续推进).")
class CampaignPhase:
    name: str
    name_zh: str
    start: dt.date
    end: dt.date | None


@strawberry.type(
    description="A time-bound campaign (专项治理) a plugin's document orders, with its phases "
    "and the document it comes from."
)
class Campaign:
    id: str
    plugin: str
    title: str
    title_zh: str
    phases: list[CampaignPhase] = strawberry.field(
        description="The phases asked for (those overlapping the window), in order."
    )
    source: Source
    jurisdiction_code: strawberry.Private[str]

    @strawberry.field(description="Where the campaign runs (and every place under it).")
    def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.jurisdiction_code))


@strawberry.type(description="One line of the monthly statistics table.")
class StatisticsRow:
    key: str = strawberry.field(description="A stable name of the line.")
    section: str
    section_zh: str
    label: str
    label_zh: str = strawberry.field(
        description="The table's wording (… joins words the table separates)."
    )
    unit_zh: str = strawberry.field(description="人, 人次, 件, 个 or 次.")
    value: int | None = strawberry.field(
        description="Null when the platform's data cannot support the figure (see why)."
    )
    why: str | None
    note: str = strawberry.field(description="How the figure was counted.")
    in_table: bool = strawberry.field(
        description="False for a line the platform adds in support of the table's own."
    )


@strawberry.type(
    description="Guangxi's monthly statistics table (全县困难群众救助保障政策落实专项治理进展情况"
    "统计表) for a jurisdiction and a month: that month's figures only, not cumulative."
)
class MonthlyStatistics:
    month: str = strawberry.field(description="YYYY-MM.")
    start: dt.date = strawberry.field(name="from")
    end: dt.date = strawberry.field(name="to")
    title: str
    title_zh: str
    complete: bool = strawberry.field(description="False while the month is not over.")
    due: ReportDeadline | None = strawberry.field(
        description="When the table is due (null: no statistics report is set there for it)."
    )
    rows: list[StatisticsRow]
    csv: str = strawberry.field(
        description="The table as CSV (columns 项目, item, value, note); save as UTF-8 with BOM."
    )
    jurisdiction_code: strawberry.Private[str]

    @strawberry.field(description="The reporting jurisdiction (and everything under it).")
    def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.of(info.context.base.jurisdiction(self.jurisdiction_code))

    @classmethod
    def of(cls, s: reports.MonthlyStatistics, now: dt.date) -> MonthlyStatistics:
        return cls(
            month=s.month,
            start=s.start,
            end=s.end,
            title=s.title,
            title_zh=s.title_zh,
            complete=s.end < now,
            due=None if s.due is None else ReportDeadline.of(s.due),
            rows=[
                StatisticsRow(
                    key=r.key,
                    section=r.section,
                    section_zh=r.section_zh,
                    label=r.label,
                    label_zh=r.label_zh,
                    unit_zh=r.unit_zh,
                    value=r.value,
                    why=r.why,
                    note=r.note,
                    in_table=r.in_table,
                )
                for r in s.rows
            ],
            csv=reports.statistics_csv(s),
            jurisdiction_code=s.jurisdiction,
        )


# -- resolvers -----------------------------------------------------------------------------------


def report_deadlines(
    context: Context, jurisdiction: str, start: dt.date, end: dt.date
) -> list[ReportDeadline]:
    base = context.base
    code = base.jurisdiction(jurisdiction).code
    reports.check_window(start, end)
    found = reports.report_deadlines(
        base.resolve(code, start), start, end, policy_at=lambda d: base.resolve(code, d)
    )
    return [ReportDeadline.of(d) for d in found]


def campaigns(
    context: Context, jurisdiction: str, start: dt.date | None, end: dt.date | None
) -> list[Campaign]:
    base = context.base
    chain = [j.code for j in base.registry.chain(jurisdiction)]
    if start is not None and end is not None:
        reports.check_window(start, end)
    grouped: dict[str, Campaign] = {}
    for e in reports.campaign_phases(base.campaigns, chain, start, end):
        c = e.campaign
        entry = grouped.get(c.id)
        if entry is None:
            entry = grouped[c.id] = Campaign(
                id=c.id,
                plugin=e.plugin,
                title=c.title,
                title_zh=c.title_zh,
                phases=[],
                source=Source.of(c.source),
                jurisdiction_code=c.jurisdiction,
            )
        entry.phases.append(
            CampaignPhase(
                name=e.phase.name,
                name_zh=e.phase.name_zh,
                start=e.phase.start,
                end=e.phase.end,
            )
        )
    for entry in grouped.values():
        entry.phases.sort(key=lambda p: p.start)
    return sorted(grouped.values(), key=lambda c: (c.phases[0].start, c.id))


def statistics_month(month: str | None, now: dt.date) -> dt.date:
    """The first day of the month asked for (default: the one before ``now``'s); INVALID_INPUT
    for a malformed month or one that has not begun."""
    first = reports.previous_month(now) if month is None else reports.parse_month(month)
    if first > now:
        raise InvalidInput(f"month: {reports.month_key(first)} has not begun")
    return first


async def monthly_statistics(
    context: Context, jurisdiction: str, month: str | None
) -> MonthlyStatistics:
    context.mark_private()
    base = context.base
    now = today()
    first = statistics_month(month, now)
    user = await context.user()
    stats = await context.in_session(
        lambda s: store.monthly_statistics(s, base, user, jurisdiction, first)
    )
    return MonthlyStatistics.of(stats, now)


# -- root fields ---------------------------------------------------------------------------------


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description="Every report due at a jurisdiction between two days (inclusive, at most "
        "1830 days): the village's monthly report to the township, the township's to the "
        "county, the monthly statistics table — each from the merged policy (its parameter, "
        "layer and source), resolved month by month. Public policy: no token."
    )
    def report_deadlines(
        self, info: Info, jurisdiction: str, from_: From, to: To
    ) -> list[ReportDeadline]:
        return report_deadlines(info.context, jurisdiction, from_, to)

    @strawberry.field(
        description="Campaigns (专项治理) running at a jurisdiction — declared there or at a "
        "jurisdiction above it — with their phases that overlap the window. Public: no token."
    )
    def campaigns(
        self,
        info: Info,
        jurisdiction: str,
        from_: OptionalFrom = None,
        to: OptionalTo = None,
    ) -> list[Campaign]:
        return campaigns(info.context, jurisdiction, from_, to)

    @strawberry.field(
        description="Guangxi's monthly statistics table for a jurisdiction (and everything "
        "under it) and a month, from the case events of that month only (not cumulative); a "
        "line the data cannot support has value null and says why (token required; within "
        "your jurisdiction)."
    )
    async def monthly_statistics(
        self, info: Info, jurisdiction: str, month: MonthArg = None
    ) -> MonthlyStatistics:
        return await monthly_statistics(info.context, jurisdiction, month)

    @strawberry.field(
        description="The same table as CSV text (columns 项目, item, value, note; save it as "
        "UTF-8 with a BOM for spreadsheet programs). Token required."
    )
    async def monthly_statistics_csv(
        self, info: Info, jurisdiction: str, month: MonthArg = None
    ) -> str:
        return (await monthly_statistics(info.context, jurisdiction, month)).csv


@strawberry.type
class ReportMutation:
    pass


__all__ = [
    "LIST_SIZES",
    "Campaign",
    "CampaignPhase",
    "MonthlyStatistics",
    "ReportDeadline",
    "ReportMutation",
    "ReportQuery",
    "StatisticsRow",
    "campaigns",
    "monthly_statistics",
    "report_deadlines",
]
