"""``doudi annual-review``: the yearly review (年度核查) of a jurisdiction, in bulk.

``run`` snapshots the registers, decides every case in scope with the bulk engine and opens a
review task per case with its proposal (continue / raise / lower / phase_out / exit /
cannot_decide; eligible / not_eligible outside payment) and the reason in one line; ``tasks``
lists them, ``explain`` gives the full trace of one, ``confirm`` confirms a batch of "no change"
through the case workflow (the level that confirms dibao there; each case gets its own audited
review event), ``resume`` goes on with an interrupted run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from core.cli.database import acting_user, open_database
from core.cli.output import (
    DATE,
    as_of_or_today,
    emit_json,
    json_option,
    table,
    token_option,
    truncate,
)
from core.cli.snapshot import print_explanation, progress_bar, snapshots_root
from core.policy.service import today

ENGINES = ("duckdb", "spark")


def _work() -> Path:
    from core.settings import load_settings

    return load_settings().data_dir / "bulk"


def _engine_options(engine: str, master: str) -> dict[str, Any]:
    return {"master": master} if engine == "spark" else {}


def run_json(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "jurisdiction": run.jurisdiction,
        "asOf": run.as_of.isoformat(),
        "status": run.status,
        "engine": run.engine,
        "snapshot": run.snapshot_id,
        "policyVersion": run.policy_version,
        "scope": run.scope.to_json(),
        "counts": run.counts,
        "error": run.error,
        "createdBy": run.created_by,
        "createdAt": run.created_at.isoformat(),
        "finishedAt": run.finished_at.isoformat() if run.finished_at else None,
    }


def _yuan(fen: int | None) -> str:
    from core.bulk.review import yuan

    return yuan(fen)


def task_json(t: Any) -> dict[str, Any]:
    return {
        "id": t.id,
        "runId": t.run_id,
        "caseId": t.case_id,
        "householdId": t.household_id,
        "householdVersion": t.household_version,
        "program": t.program,
        "county": t.county,
        "unit": t.unit,
        "scope": t.scope,
        "caseState": t.case_state,
        "caseVersion": t.case_version,
        "proposal": t.proposal,
        "reason": t.reason,
        "currentAmount": None if t.current_amount_fen is None else _yuan(t.current_amount_fen),
        "newAmount": None if t.new_amount_fen is None else _yuan(t.new_amount_fen),
        "status": t.status,
        "confirmedBy": t.confirmed_by,
        "confirmedAt": t.confirmed_at.isoformat() if t.confirmed_at else None,
        "eventId": t.event_id,
        "decision": t.decision,
    }


def _print_run(run: Any) -> None:
    click.echo(
        f"annual review {run.id} of {run.jurisdiction} as of {run.as_of}: {run.status} "
        f"(snapshot {run.snapshot_id}, {run.engine})"
    )
    counts = run.counts.get("proposals", {})
    if counts:
        click.echo("  proposals: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    scopes = run.counts.get("scopes", {})
    if scopes:
        click.echo("  scope:     " + ", ".join(f"{k} {v}" for k, v in sorted(scopes.items())))
    if run.error:
        click.echo(f"  error:     {run.error}")


@click.group("annual-review")
def annual_review() -> None:
    """The annual review (年度核查): re-decide a jurisdiction's cases in bulk and open review
    tasks."""


@annual_review.command("run")
@click.argument("code")
@click.option("--as-of", "as_of", type=DATE, default=None, help="Review date; default today.")
@click.option(
    "--in-payment/--no-in-payment",
    default=True,
    show_default=True,
    help="Cases in payment (原保障对象).",
)
@click.option(
    "--applicants/--no-applicants",
    default=True,
    show_default=True,
    help="Applications not yet decided (新增申请对象).",
)
@click.option(
    "--exited-since",
    type=DATE,
    default=None,
    help="Cases exited on or after this date (退出保障对象).",
)
@click.option("--tag", "tags", multiple=True, help="Households with a member tagged so (repeat).")
@click.option(
    "--program",
    "programs",
    multiple=True,
    type=click.Choice(("dibao", "tekun")),
    help="Programs (default both).",
)
@click.option(
    "--snapshot",
    "snapshot_ref",
    default=None,
    help="Decide an existing snapshot (id or directory) instead of taking one.",
)
@click.option("--engine", type=click.Choice(ENGINES), default="duckdb", show_default=True)
@click.option(
    "--spark-master",
    default="local[2]",
    show_default=True,
    help="Spark master URL (with --engine spark).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@token_option
@json_option
def review_run(
    code: str,
    as_of: dt.date | None,
    in_payment: bool,
    applicants: bool,
    exited_since: dt.date | None,
    tags: tuple[str, ...],
    programs: tuple[str, ...],
    snapshot_ref: str | None,
    engine: str,
    spark_master: str,
    quiet: bool,
    token: str | None,
    as_json: bool,
) -> None:
    """Run the annual review at CODE (county approvers and province administrators): snapshot,
    decide every case in scope in bulk, open one review task per case."""
    from core.access.roles import Action
    from core.bulk.review import ReviewScope
    from core.bulk.service import run_review, snapshot_for

    scope = ReviewScope(
        in_payment=in_payment,
        applicants=applicants,
        exited_since=exited_since,
        tags=tuple(tags),
        programs=tuple(programs) or ("dibao", "tekun"),
    )
    day = as_of_or_today(as_of)
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        base = runtime.policy
        snap = (
            snapshot_for(snapshots_root(None), snapshot_ref, user, base, Action.READ_HOUSEHOLDS)
            if snapshot_ref
            else None
        )
        annual = base.resolve(base.registry.get(code).code, day).parameters.get(
            "dibao.review.annual_review"
        )
        progress = (lambda *_: None) if quiet or as_json else progress_bar("annual review")
        run = run_review(
            runtime.engine, runtime.sessions, base, user, code, day, scope,
            snapshots=snapshots_root(None), work=_work(), snapshot=snap, engine=engine,
            engine_options=_engine_options(engine, spark_master), progress=progress,
        )  # fmt: skip
    if as_json:
        emit_json(run_json(run))
        return
    _print_run(run)
    if annual is not None and annual.value is True and annual.source is not None:
        doc = annual.source.document
        click.echo(f"  required by: {doc.number or doc.title} {annual.source.section}".rstrip())
    else:
        click.echo(
            "  note: no source in force requires an annual review here "
            "(dibao.review.annual_review is not set); run as asked"
        )
    if tags:
        click.echo(
            "  tags: members' tags as recorded; doudi records no 脱贫不稳定户 / 边缘易致贫户 tags "
            "yet (a low-income register with tags is planned)"
        )


@annual_review.command("resume")
@click.argument("run_id", type=int)
@click.option("--engine", type=click.Choice(ENGINES), default=None, help="Default: the run's.")
@click.option("--spark-master", default="local[2]", show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@token_option
@json_option
def review_resume(
    run_id: int,
    engine: str | None,
    spark_master: str,
    quiet: bool,
    token: str | None,
    as_json: bool,
) -> None:
    """Go on with an interrupted or failed run: only the units (counties) not stored yet."""
    from core.bulk.service import resume_review

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        progress = (lambda *_: None) if quiet or as_json else progress_bar("annual review")
        run = resume_review(
            runtime.sessions, runtime.policy, user, run_id, work=_work(), engine=engine,
            engine_options=_engine_options(engine or "duckdb", spark_master), progress=progress,
        )  # fmt: skip
    if as_json:
        emit_json(run_json(run))
    else:
        _print_run(run)


@annual_review.command("list")
@click.argument("code")
@click.option(
    "--limit", type=int, default=50, show_default=True, help="At most this many runs (1-100)."
)
@click.option("--before", type=int, help="Only runs older than this run (the next page).")
@token_option
@json_option
def review_list(
    code: str, limit: int, before: int | None, token: str | None, as_json: bool
) -> None:
    """Annual review runs at CODE and under it, newest first."""
    from core.bulk.review_store import list_runs

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        runs = list_runs(session, user, code, runtime.policy.registry, first=limit, before=before)
    if as_json:
        emit_json([run_json(r) for r in runs])
        return
    click.echo(
        table(
            ["run", "jurisdiction", "as of", "status", "tasks", "snapshot"],
            [
                [
                    str(r.id),
                    r.jurisdiction,
                    r.as_of.isoformat(),
                    r.status,
                    str(r.counts.get("tasks", "-")),
                    r.snapshot_id,
                ]
                for r in runs
            ],
        )
    )


@annual_review.command("status")
@click.argument("run_id", type=int)
@token_option
@json_option
def review_status(run_id: int, token: str | None, as_json: bool) -> None:
    """A run and its progress per unit (the county: households carry no township yet)."""
    from core.bulk.review_store import get_run, progress

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        run = get_run(session, user, run_id, runtime.policy.registry)
        units = progress(session, run_id)
    if as_json:
        emit_json({**run_json(run), "progress": [u.__dict__ for u in units]})
        return
    _print_run(run)
    reg = runtime.policy.registry
    click.echo(
        table(
            ["unit", "name", "level", "tasks", "stored", "done"],
            [
                [
                    u.unit,
                    reg.get(u.unit).name if u.unit in reg else "",
                    u.unit_level,
                    str(u.total),
                    str(u.stored),
                    "yes" if u.done else "no",
                ]
                for u in units
            ],
        )
    )


@annual_review.command("tasks")
@click.argument("run_id", type=int)
@click.option("--county", default=None)
@click.option("--proposal", default=None)
@click.option("--status", type=click.Choice(("open", "confirmed", "superseded")), default=None)
@click.option("--first", type=int, default=100, show_default=True)
@click.option("--after", type=int, default=None, help="Task id to continue after.")
@token_option
@json_option
def review_tasks(
    run_id: int,
    county: str | None,
    proposal: str | None,
    status: str | None,
    first: int,
    after: int | None,
    token: str | None,
    as_json: bool,
) -> None:
    """The review tasks of a run: proposal and reason per case."""
    from core.bulk.review_store import list_tasks

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        tasks = list_tasks(
            session, user, run_id, runtime.policy.registry, county=county, proposal=proposal,
            status=status, first=first, after=after,
        )  # fmt: skip
    if as_json:
        emit_json([task_json(t) for t in tasks])
        return
    click.echo(
        table(
            ["task", "case", "household", "program", "county", "proposal", "status", "reason"],
            [
                [
                    str(t.id),
                    str(t.case_id or "-"),
                    str(t.household_id),
                    t.program,
                    t.county,
                    t.proposal,
                    t.status,
                    truncate(t.reason, 90),
                ]
                for t in tasks
            ],
        )
    )


@annual_review.command("explain")
@click.argument("run_id", type=int)
@click.argument("household_id", type=int)
@click.option(
    "--program", type=click.Choice(("dibao", "tekun")), default="dibao", show_default=True
)
@token_option
@json_option
def review_explain(
    run_id: int, household_id: int, program: str, token: str | None, as_json: bool
) -> None:
    """The full trace of one household of a run: the traced engine on the document the run's
    snapshot holds, checked against what the run decided."""
    from core.bulk.explain import explain, task_continuing
    from core.bulk.review_store import get_run, task_for_household
    from core.bulk.snapshot import open_snapshot
    from core.eligibility import decision_to_json

    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        base = runtime.policy
        run = get_run(session, user, run_id, base.registry)
        task = task_for_household(session, user, run_id, household_id, program, base.registry)
    d = task.decision
    bulk = {
        "status": d["status"],
        "mode": d["mode"],
        "covered": d["covered"],
        "amount_fen": d["amountFen"],
    }
    snap = open_snapshot(Path(run.snapshot_path))
    x = explain(
        snap,
        household_id,
        program,
        run.as_of,
        base,
        bulk,
        continuing=task_continuing(snap, household_id),
    )
    policy_note = (
        None
        if base.version == run.policy_version
        else f"the merged policy changed since the run (version {run.policy_version} → "
        f"{base.version}): traced with today's"
    )
    if as_json:
        emit_json(
            {
                "task": task_json(task),
                "agrees": x.agrees,
                "differences": list(x.differences),
                "policyNote": policy_note,
                "decision": decision_to_json(x.decision),
            }
        )
        return
    click.echo(f"task {task.id}: {task.proposal} — {task.reason}")
    print_explanation(x, bulk)
    if policy_note:
        click.echo(f"  note: {policy_note}")


@annual_review.command("confirm")
@click.argument("run_id", type=int)
@click.option("--county", default=None, help="Only tasks at this county (or under this code).")
@click.option("--task", "task_ids", type=int, multiple=True, help="Only these tasks (repeat).")
@click.option("--on", "on", type=DATE, default=None, help="Review date; default today.")
@token_option
@json_option
def review_confirm(
    run_id: int,
    county: str | None,
    task_ids: tuple[int, ...],
    on: dt.date | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Confirm a batch of "no change" (continue) tasks at once: each case gets its own audited
    review event, by the level that confirms it (township or county)."""
    from core.bulk.review_store import confirm_unchanged

    day = on or today()
    with open_database(create=False, policy=True) as runtime, runtime.sessions() as session:
        user = acting_user(session, token)
        result = confirm_unchanged(
            session, runtime.policy, user, run_id, day, county=county,
            task_ids=task_ids or None, not_after=today(),
        )  # fmt: skip
    if as_json:
        emit_json(
            {
                "runId": result.run_id,
                "confirmed": list(result.confirmed),
                "events": list(result.events),
                "skipped": [s.__dict__ for s in result.skipped],
            }
        )
        return
    click.echo(f"confirmed {len(result.confirmed)} task(s) of run {run_id} on {day.isoformat()}")
    for s in result.skipped:
        click.echo(f"  skipped task {s.task_id} (case {s.case_id}): {s.code}: {s.why}")
    if result.skipped and not result.confirmed:
        raise SystemExit(1)
