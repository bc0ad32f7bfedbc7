"""The report's statistics against values worked out by hand (formulas in each docstring)."""

from __future__ import annotations

import math

import pytest

from crosssell_app.experiments import stats


def test_wilson_interval_of_ten_clicks_in_a_hundred_impressions():
    """p = 0.1, z² = 3.8415: centre 0.11480, half-width 0.05957 -> (0.0552, 0.1744)."""
    estimate = stats.proportion_interval(10, 100)
    assert estimate.value == pytest.approx(0.1)
    assert estimate.low == pytest.approx(0.05523, abs=1e-4)
    assert estimate.high == pytest.approx(0.17437, abs=1e-4)


def test_wilson_interval_stays_inside_zero_and_one():
    none, every = stats.proportion_interval(0, 20), stats.proportion_interval(20, 20)
    assert none.low == 0.0 and 0 < none.high < 0.2
    assert every.high == 1.0 and 0.8 < every.low < 1


def test_no_trials_gives_no_estimate_and_impossible_counts_are_refused():
    assert stats.proportion_interval(0, 0) == stats.NOTHING
    with pytest.raises(ValueError):
        stats.proportion_interval(5, 3)


def test_mean_interval_uses_student_t():
    """1..5: mean 3, s = 1.5811, t(0.975, 4) = 2.7764 -> 3 ± 1.9632."""
    estimate = stats.mean_interval([1, 2, 3, 4, 5])
    assert estimate.value == 3
    assert (estimate.low, estimate.high) == pytest.approx((1.0368, 4.9632), abs=1e-4)


def test_mean_of_one_value_has_no_interval():
    assert stats.mean_interval([7.5]) == stats.Estimate(7.5, None, None)
    assert stats.mean_interval([]) == stats.NOTHING


def test_difference_of_rates_matches_newcombes_published_intervals():
    """Newcombe (1998), Table II, method 10: 56/70 - 48/80 is 0.2000 in (0.0524, 0.3339) and
    9/10 - 3/10 is 0.6000 in (0.1705, 0.8090)."""
    diff = stats.proportion_difference(56, 70, 48, 80)
    assert diff.value == pytest.approx(0.2)
    assert (diff.low, diff.high) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    small = stats.proportion_difference(9, 10, 3, 10)
    assert (small.low, small.high) == pytest.approx((0.1705, 0.8090), abs=1e-4)


def test_a_difference_is_significant_only_when_its_interval_leaves_out_zero():
    assert not stats.proportion_difference(60, 1000, 50, 1000).significant
    assert stats.proportion_difference(120, 1000, 50, 1000).significant
    assert stats.proportion_difference(50, 1000, 120, 1000).significant


def test_welch_difference_of_means():
    """1..5 against 2,4..10: diff -3, se = √(2.5/5 + 10/5) = 1.5811, Welch df = 6.25/1.0625 = 5.882,
    t(0.975, 5.882) = 2.4588 -> -3 ± 3.8877."""
    diff = stats.mean_difference([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
    assert diff.value == pytest.approx(-3)
    assert (diff.low, diff.high) == pytest.approx((-6.8877, 0.8877), abs=1e-3)
    assert not diff.significant


@pytest.mark.parametrize("observed, chi_square, mismatch", [
    ((5000, 5000), 0.0, False),
    ((5100, 4900), 4.0, False),   # p = erfc(√2) = 0.0455: below 5 %, not below 0.1 %
    ((5200, 4800), 16.0, True),   # p = erfc(√8) = 6.3e-5
])
def test_sample_ratio_check_of_an_even_split(observed, chi_square, mismatch):
    check = stats.sample_ratio_check(observed, [1, 1])
    assert check.chi_square == pytest.approx(chi_square)
    assert check.p_value == pytest.approx(math.erfc(math.sqrt(chi_square / 2)))
    assert check.mismatch is mismatch


def test_sample_ratio_check_honours_uneven_shares():
    """A 90/10 split seen as 9000/1000 is healthy; seen as 5000/5000 it is broken."""
    assert not stats.sample_ratio_check([9000, 1000], [90, 10]).mismatch
    assert stats.sample_ratio_check([5000, 5000], [90, 10]).mismatch
    with pytest.raises(ValueError):
        stats.sample_ratio_check([1, 2], [1, 0])
