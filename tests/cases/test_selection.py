"""Minimums (不低于) hold for every county and month: the running count selects at least ⌈r·n⌉
of the n decisions of a month at every moment, whatever the random draws (the count in the
database, kept in the step's write transaction, is tested in tests/cases/test_supervision.py)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from core.cases.selection import as_fraction, required, select


def test_exact_ratios_and_the_minimum():
    assert as_fraction(0.3) == Fraction(3, 10) and as_fraction("0.5") == Fraction(1, 2)
    # 特困人员认定办法 art. 16 「按照不低于30%的比例随机抽查核实」: 1, 2, 3, 4 files → 1, 1, 1, 2
    assert [required(Fraction(3, 10), n) for n in (1, 2, 3, 4, 10, 11)] == [1, 1, 1, 2, 3, 4]
    # Yongfu 003 二(三) 「50%以上」 (以上 includes 50%): 1, 2, 3, 4 → 1, 1, 2, 2
    assert [required(Fraction(1, 2), n) for n in (1, 2, 3, 4)] == [1, 1, 2, 2]
    assert required(Fraction(0), 5) == 0 and required(Fraction(1), 5) == 5


@settings(max_examples=300, deadline=None)
@given(
    ratio=st.sampled_from(["0.3", "0.5", "0.25", "0.1", "0.75", "1", "1.0", "0.01"]),
    draws=st.lists(st.booleans(), min_size=1, max_size=60),
)
def test_any_sequence_of_decisions_keeps_the_minimum_at_every_moment(ratio, draws):
    r = as_fraction(ratio)
    draw_iter = iter(draws)
    decisions = selected = 0
    for _ in draws:
        sel = select(decisions, selected, r, draw=lambda _r: next(draw_iter, False))
        decisions, selected = sel.position, sel.selected_so_far
        assert selected >= required(r, decisions)
        assert sel.required == required(r, decisions)
        assert not (sel.forced and not sel.selected)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(min_value=1, max_value=40))
def test_the_forced_selections_are_exactly_the_minimum_when_chance_never_selects(n):
    r = Fraction(3, 10)
    decisions = selected = 0
    for _ in range(n):
        sel = select(decisions, selected, r, draw=lambda _r: False)
        decisions, selected = sel.position, sel.selected_so_far
    assert selected == required(r, n)


def test_a_ratio_changed_within_the_month_uses_the_ratio_of_each_decision():
    sel = select(3, 1, Fraction(1, 2), draw=lambda _r: False)  # 4th decision at 50%: need 2
    assert (sel.selected, sel.forced, sel.required) == (True, True, 2)


def test_the_random_extra_is_drawn_with_the_ratio():
    picks = [select(1, 1, Fraction(3, 10)).selected for _ in range(3000)]  # 2nd: not forced
    assert 0.25 < sum(picks) / len(picks) < 0.35
