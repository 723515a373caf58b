"""OpenFisca baseline for the bulk engine: a means-tested benefit for N households.

Runs OpenFisca's own country template (openfisca-country-template) in its own venv, never in
doudi's: ``benchmarks/bulk_decide.py`` creates that venv (under ~/.cache/doudi-bench) and runs
this script in it, interleaved with doudi's runs. By hand:

    python -m venv ofvenv && ofvenv/bin/pip install openfisca-core openfisca-country-template
    ofvenv/bin/python benchmarks/openfisca_means_test.py --households 1000000 --runs 3

Two benefits are measured, each on a fresh simulation (so every run includes building it):

- ``parenting_allowance``: the template's own household means test, unchanged (household
  income <= threshold, a flat amount if there is a young child).
- ``dibao``: the closest thing to dibao, added the way a country package would (a reform
  adding a parameter and a variable): per-capita income = household salaries / persons,
  rounded to the cent; below the standard pays the gap times the household size.

Timed per run, with wall clock (perf_counter) and this process's CPU (process_time):
  setup   = SimulationBuilder: entities, ids, household membership and roles, set_input
            of salary and birth (the input arrays are generated beforehand, not timed)
  compute = sim.calculate(benefit) (OpenFisca computes age, household_income, ... on the way)
  total   = setup + compute: the figure to compare with (and the rate households/s)
Loading the tax-benefit system (once per process) is reported on its own.

Output: one JSON line per run and a summary (median of the runs); --json writes them to a file.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import time

import numpy as np

PERIOD = "2025-07"
STANDARD = 800.0  # yuan/month, per capita: the "dibao standard" of the added benefit


def load_system():
    """The country template, plus a `dibao` benefit added through a reform."""
    from openfisca_core.periods import MONTH
    from openfisca_core.reforms import Reform
    from openfisca_core.variables import Variable
    from openfisca_country_template import CountryTaxBenefitSystem
    from openfisca_country_template.entities import Household

    class dibao(Variable):
        value_type = float
        entity = Household
        definition_period = MONTH
        label = "Per-capita means test paying the gap to a standard (dibao-like)"

        def formula(household, period, parameters):
            standard = parameters(period).benefits.dibao_standard
            income = household("household_income", period)
            persons = household.nb_persons()
            per_capita = np.round(income / persons, 2)
            return np.where(per_capita < standard, (standard - per_capita) * persons, 0)

    def add_standard(parameters):
        parameters.benefits.add_child("dibao_standard", _scalar_parameter(STANDARD))
        return parameters

    class add_dibao(Reform):
        def apply(self):
            self.modify_parameters(modifier_function=add_standard)
            self.add_variable(dibao)

    return add_dibao(CountryTaxBenefitSystem())


def _scalar_parameter(value: float):
    from openfisca_core.parameters import Parameter

    return Parameter(
        "benefits.dibao_standard",
        data={
            "description": "dibao standard (per capita, monthly)",
            "values": {"2015-01-01": {"value": value}},
        },
    )


def make_population(n_households: int, seed: int = 12):
    """Households of 1-6 persons; salaries random (about half the adults earn nothing)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 7, n_households)  # 1..6, mean 3.5
    n_persons = int(sizes.sum())
    household_of = np.repeat(np.arange(n_households), sizes)
    first = np.zeros(n_persons, dtype=bool)
    first[np.cumsum(sizes) - sizes] = True
    # Ages: the first person of a household is an adult; the others 0-89.
    ages = np.where(first, rng.integers(18, 90, n_persons), rng.integers(0, 90, n_persons))
    birth = (
        np.datetime64("2025-07-01")
        - (ages * 365.25 + rng.integers(0, 365, n_persons)).astype("timedelta64[D]")
    ).astype("datetime64[D]")
    earns = (ages >= 18) & (rng.random(n_persons) < 0.5)
    salary = np.where(earns, np.round(rng.lognormal(7.3, 0.6, n_persons), 2), 0.0)
    roles = np.where(ages >= 18, "adult", "child")
    return {
        "sizes": sizes,
        "household_of": household_of,
        "person_ids": np.arange(n_persons),
        "household_ids": np.arange(n_households),
        "roles": roles,
        "birth": birth,
        "salary": salary,
    }


def build_simulation(tbs, pop):
    from openfisca_core.simulations import SimulationBuilder

    builder = SimulationBuilder()
    builder.create_entities(tbs)
    builder.declare_person_entity("person", pop["person_ids"])
    households = builder.declare_entity("household", pop["household_ids"])
    builder.join_with_persons(households, pop["household_of"], pop["roles"])
    sim = builder.build(tbs)
    sim.set_input("salary", PERIOD, pop["salary"])
    sim.set_input("birth", "ETERNITY", pop["birth"])
    return sim


def one_run(tbs, pop, benefit: str) -> dict:
    w0, c0 = time.perf_counter(), time.process_time()
    sim = build_simulation(tbs, pop)
    w1, c1 = time.perf_counter(), time.process_time()
    result = sim.calculate(benefit, PERIOD)
    w2, c2 = time.perf_counter(), time.process_time()
    n = len(pop["sizes"])
    return {
        "benefit": benefit,
        "households": n,
        "persons": len(pop["person_ids"]),
        "setup_wall_s": round(w1 - w0, 3),
        "setup_cpu_s": round(c1 - c0, 3),
        "compute_wall_s": round(w2 - w1, 3),
        "compute_cpu_s": round(c2 - c1, 3),
        "total_wall_s": round(w2 - w0, 3),
        "total_cpu_s": round(c2 - c0, 3),
        "households_per_cpu_s": round(n / (c2 - c0)),
        "paid_households": int((result > 0).sum()),
        "monthly_cost": round(float(result.sum(dtype=np.float64)), 2),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--benefit", action="append", choices=["parenting_allowance", "dibao"])
    ap.add_argument("--json", help="write the runs and the summary to this file")
    args = ap.parse_args(argv)
    benefits = args.benefit or ["dibao", "parenting_allowance"]

    w0, c0 = time.perf_counter(), time.process_time()
    tbs = load_system()
    load = {
        "load_system_wall_s": round(time.perf_counter() - w0, 3),
        "load_system_cpu_s": round(time.process_time() - c0, 3),
    }
    print(json.dumps(load), flush=True)

    g0 = time.perf_counter()
    pop = make_population(args.households)
    print(
        json.dumps(
            {
                "generate_inputs_wall_s": round(time.perf_counter() - g0, 3),
                "persons": len(pop["person_ids"]),
            }
        ),
        flush=True,
    )

    runs = []
    for benefit in benefits:
        for _ in range(args.runs):
            r = one_run(tbs, pop, benefit)
            runs.append(r)
            print(json.dumps(r), flush=True)
    from importlib.metadata import version

    summary = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "openfisca_core": version("openfisca-core"),
        "openfisca_country_template": version("openfisca-country-template"),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **load,
    }
    for benefit in benefits:
        mine = [r for r in runs if r["benefit"] == benefit]
        for key in ("total_wall_s", "total_cpu_s", "setup_cpu_s", "compute_cpu_s"):
            summary[f"{benefit}.median_{key}"] = statistics.median(r[key] for r in mine)
        summary[f"{benefit}.households_per_cpu_s"] = round(
            args.households / summary[f"{benefit}.median_total_cpu_s"]
        )
    print(json.dumps(summary, indent=1), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": runs, "summary": summary}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
