"""A simulation's results as files: CSV (UTF-8 with a byte-order mark, which Excel reads as
UTF-8), XLSX (openpyxl) and a chart (PNG or SVG drawn by matplotlib, offline: no CDN, no web
fonts; county names in Chinese where a CJK font is installed, else their codes). Aggregates
only — a simulation holds no household and no person.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.bulk.service import Simulation, SimulationRow

HEADERS = (
    ("scenario", "情景 scenario"),
    ("program", "项目 program"),
    ("county", "区划代码 county"),
    ("county_name", "名称 name"),
    ("households", "户数 households"),
    ("eligible_baseline", "符合条件户数(现行) eligible, baseline"),
    ("eligible_reform", "符合条件户数(改革) eligible, reform"),
    ("eligible_change", "变化 change"),
    ("persons_baseline", "保障人数(现行) persons, baseline"),
    ("persons_reform", "保障人数(改革) persons, reform"),
    ("persons_change", "变化 change"),
    ("monthly_cost_baseline", "月支出(现行,元) monthly cost, baseline (yuan)"),
    ("monthly_cost_reform", "月支出(改革,元) monthly cost, reform (yuan)"),
    ("monthly_cost_change", "月支出变化(元) monthly change (yuan)"),
    ("yearly_cost_baseline", "年支出(现行,元) yearly cost, baseline (yuan)"),
    ("yearly_cost_reform", "年支出(改革,元) yearly cost, reform (yuan)"),
    ("yearly_cost_change", "年支出变化(元) yearly change (yuan)"),
    ("winners", "增加户数 winners"),
    ("losers", "减少户数 losers"),
    ("newly_eligible", "新纳入 newly eligible"),
    ("no_longer_eligible", "不再符合 no longer eligible"),
    ("cannot_decide_baseline", "无法判定(现行) cannot decide, baseline"),
    ("cannot_decide_reform", "无法判定(改革) cannot decide, reform"),
)


def _value(row: SimulationRow, key: str) -> Any:
    v = getattr(row, key)
    if isinstance(v, Decimal):
        return format(v.normalize() if v == v.to_integral_value() else v, "f")
    return v


def rows_of(sim: Simulation) -> Iterable[SimulationRow]:
    yield from sim.rows
    yield from sim.totals


def _formula_safe(text: Any) -> Any:
    # A name starting like a formula would run in a spreadsheet: quote it.
    if isinstance(text, str) and text[:1] in ("=", "+", "-", "@"):
        return "'" + text
    return text


def csv_text(sim: Simulation) -> str:
    """The table as CSV text (without the byte-order mark :func:`write_csv` puts first)."""
    out = io.StringIO(newline="")
    w = csv.writer(out)
    w.writerow([h for _k, h in HEADERS])
    for r in rows_of(sim):
        w.writerow([_formula_safe(_value(r, k)) for k, _h in HEADERS])
    return out.getvalue()


def write_csv(sim: Simulation, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        f.write(csv_text(sim))


def write_xlsx(sim: Simulation, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "simulation"
    ws.append([h for _k, h in HEADERS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows_of(sim):
        out = []
        for k, _h in HEADERS:
            v = _value(r, k)
            raw = getattr(r, k)
            out.append(float(raw) if isinstance(raw, Decimal) else _formula_safe(v))
        ws.append(out)
    about = wb.create_sheet("about")
    about.append(["population", sim.population])
    about.append(["as of", sim.as_of.isoformat()])
    about.append(["weighted", "yes" if sim.weighted else "no (every household counts 1)"])
    about.append(["programs", ", ".join(sim.programs)])
    for reform in sim.reforms:
        about.append([f"reform {reform.name}", reform.describe()])
    for note in sim.notes:
        about.append(["note", note])
    wb.save(path)


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    for f in font_manager.fontManager.ttflist:
        if any(k in f.name for k in ("WenQuanYi", "Noto Sans CJK", "Noto Serif CJK", "SimHei")):
            return str(f.name)
    return None


def write_chart(sim: Simulation, path: Path, program: str | None = None) -> None:
    """The change of the monthly cost by county, one bar per reform (PNG or SVG by suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    program = program or sim.programs[0]
    font = _cjk_font()
    rows = [r for r in sim.rows if r.program == program]
    counties = sorted({r.county for r in rows})
    names = {r.county: r.county_name for r in rows}
    labels = [f"{c} {names[c]}" if font else c for c in counties]
    scenarios = [r.name for r in sim.reforms]
    width = 0.8 / max(1, len(scenarios))
    with plt.rc_context(
        {"font.family": [font] if font else ["DejaVu Sans"], "svg.fonttype": "path"}
    ):
        fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(counties) + 2), 4.8), dpi=120)
        for k, s in enumerate(scenarios):
            by = {r.county: r for r in rows if r.scenario == s}
            values = [float(by[c].monthly_cost_change) if c in by else 0.0 for c in counties]
            xs = [i + (k - (len(scenarios) - 1) / 2) * width for i in range(len(counties))]
            ax.bar(xs, values, width=width, label=s)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(range(len(counties)))
        ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("monthly cost change, yuan" + (" (月支出变化, 元)" if font else ""))
        ax.set_title(f"{program}: reform vs baseline on {sim.as_of.isoformat()}")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def write(sim: Simulation, path: Path) -> None:
    """By the file's suffix: .csv, .xlsx, .png or .svg."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_csv(sim, path)
    elif suffix == ".xlsx":
        write_xlsx(sim, path)
    elif suffix in (".png", ".svg"):
        write_chart(sim, path)
    else:
        from core.errors import InvalidInput

        raise InvalidInput(f"{path.name}: export to .csv, .xlsx, .png or .svg")
