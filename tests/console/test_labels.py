"""The console speaks Chinese: every case step, every input of its forms, every allowed value and
every refusal code the case machine raises has a Chinese label in lib/i18n.js. The forms are
generated from caseActionSpecs, so an action added to the specs reaches the console at once;
without its labels it would show API names (``reduceForRefusedWork``, ``phase_out``) to a
county official. No browser: the tables are read from the file."""

from __future__ import annotations

import re
from pathlib import Path

import core.cases.errors as case_errors
import core.console
from core.cases.actions import CASE_ACTIONS, ON

I18N = Path(core.console.__file__).parent / "static" / "lib" / "i18n.js"


def _table(name: str) -> set[str]:
    """The keys of ``const NAME = { ... };`` in i18n.js (and of the tables it spreads in)."""
    text = I18N.read_text(encoding="utf-8")
    found = re.search(rf"const {name} = \{{(.*?)\n\}};", text, re.S)
    assert found, name
    body = found.group(1)
    keys = set(re.findall(r"(?:^|[\s,{])([A-Za-z_][A-Za-z0-9_]*):\s*\"", body))
    for spread in re.findall(r"\.\.\.([A-Z_]+)", body):
        keys |= _table(spread)
    return keys


def test_every_step_has_its_chinese_name() -> None:
    missing = [s.name for s in CASE_ACTIONS if s.name not in _table("STEPS_ZH")]
    assert not missing, f"add to STEPS_ZH in {I18N.name}: {missing}"


def test_every_input_and_allowed_value_of_the_forms_has_its_chinese_label() -> None:
    fields, choices = _table("FIELDS_ZH"), _table("CHOICES_ZH")
    missing_fields, missing_choices = set(), set()
    for spec in CASE_ACTIONS:
        for i in (*spec.inputs, ON):  # the case and its version are the page's, not asked
            if i.deprecated:
                continue  # not shown (forms.formArgs)
            if i.key not in fields:
                missing_fields.add(i.key)
            shown = [i.enum(c).name for c in i.choices] if i.enum is not None else i.choices
            missing_choices |= set(shown) - choices
    assert not missing_fields, f"add to FIELDS_ZH: {sorted(missing_fields)}"
    assert not missing_choices, f"add to CHOICES_ZH: {sorted(missing_choices)}"


def test_every_refusal_of_the_case_machine_has_its_chinese_text() -> None:
    codes = {
        cls.code
        for cls in vars(case_errors).values()
        if isinstance(cls, type) and issubclass(cls, case_errors.CaseError) and cls.code
    } - {"CASE_ERROR"}
    missing = sorted(codes - _table("ERRORS_ZH"))
    assert not missing, f"add to ERRORS_ZH: {missing}"
