"""Confidence intervals and the sample-ratio check of an experiment report (numpy/SciPy, no Django).

Every interval is two-sided at ``confidence`` (95 % unless given). A proportion (click-through,
conversion) gets Wilson's score interval, which stays inside [0, 1] and behaves with few
successes where the textbook ``p ± z·√(p(1-p)/n)`` does not. A mean (order value, revenue per
visitor) gets Student's t interval. A difference to the control gets the unpooled normal interval
for proportions and Welch's t interval for means (the arms' variances are not assumed equal: a
widget that sells changes the spread of revenue, not only its mean).

Only the admin's and the API's report import this module, never a widget: SciPy stays out of
page views.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sp

#: p-value below which assignment counts as broken (the usual sample-ratio-mismatch threshold: a
#: false alarm once in a thousand healthy experiments, so a warning is worth investigating)
SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval; ``None`` everywhere when there is nothing to estimate."""

    value: float | None
    low: float | None
    high: float | None

    @property
    def significant(self) -> bool:
        """Whether the interval leaves out zero (for a difference: the arms differ)."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)

    def as_dict(self) -> dict:
        return {"value": self.value, "low": self.low, "high": self.high}


NOTHING = Estimate(None, None, None)


def _z(confidence: float) -> float:
    return float(sp.norm.ppf(0.5 + confidence / 2))


def proportion_interval(successes: int, trials: int, confidence: float = 0.95) -> Estimate:
    """Return ``successes / trials`` with its Wilson score interval."""
    if trials <= 0:
        return NOTHING
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials ({trials}), got {successes}")
    z, p = _z(confidence), successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Estimate:
    """Return the mean of ``values`` with its Student t interval (no interval from one value)."""
    data = np.asarray(values, dtype=float)
    n = data.size
    if n == 0:
        return NOTHING
    mean = float(data.mean())
    if n == 1:
        return Estimate(mean, None, None)
    half = float(sp.t.ppf(0.5 + confidence / 2, n - 1)) * float(data.std(ddof=1)) / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half)


def proportion_difference(successes: int, trials: int, control_successes: int, control_trials: int,
                          confidence: float = 0.95) -> Estimate:
    """Return ``p - p_control`` with Newcombe's hybrid score interval (his method 10).

    The interval is built from the two arms' Wilson intervals. The simpler unpooled normal (Wald)
    interval is too narrow when a rate is small or an arm has few visitors, which is the usual case
    for click-through early in an experiment: in the traffic simulator's A/A runs it flagged a
    difference more often than its 5 % promise. Newcombe, "Interval estimation for the difference
    between independent proportions", Statistics in Medicine 17 (1998), 873-890.
    """
    if trials <= 0 or control_trials <= 0:
        return NOTHING
    p, q = successes / trials, control_successes / control_trials
    mine = proportion_interval(successes, trials, confidence)
    theirs = proportion_interval(control_successes, control_trials, confidence)
    below = math.sqrt((p - mine.low) ** 2 + (theirs.high - q) ** 2)
    above = math.sqrt((mine.high - p) ** 2 + (q - theirs.low) ** 2)
    return Estimate(p - q, p - q - below, p - q + above)


def mean_difference(values: Sequence[float] | np.ndarray, control: Sequence[float] | np.ndarray,
                    confidence: float = 0.95) -> Estimate:
    """Return ``mean(values) - mean(control)`` with Welch's t interval."""
    a, b = np.asarray(values, dtype=float), np.asarray(control, dtype=float)
    if a.size == 0 or b.size == 0:
        return NOTHING
    diff = float(a.mean() - b.mean())
    if a.size < 2 or b.size < 2:
        return Estimate(diff, None, None)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    spread = math.sqrt(va + vb)
    if spread == 0:
        return Estimate(diff, diff, diff)
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    half = float(sp.t.ppf(0.5 + confidence / 2, df)) * spread
    return Estimate(diff, diff - half, diff + half)


@dataclass(frozen=True)
class SampleRatio:
    """The chi-square goodness-of-fit of the visitors per arm against the arms' shares."""

    observed: tuple[int, ...]
    expected: tuple[float, ...]
    chi_square: float
    p_value: float
    mismatch: bool

    def as_dict(self) -> dict:
        return {"observed": list(self.observed), "expected": list(self.expected), "chi_square": self.chi_square,
                "p_value": self.p_value, "mismatch": self.mismatch}


def sample_ratio_check(observed: Sequence[int], shares: Sequence[float],
                       threshold: float = SRM_THRESHOLD) -> SampleRatio:
    """Test whether visitors split over the arms as their ``shares`` say; ``mismatch`` when p < ``threshold``.

    A mismatch means assignment or exposure recording is broken (a bot hitting one arm, a cache
    serving one arm's page to others, a redirect losing visitors), and every other figure of the
    report is then suspect.
    """
    counts = np.asarray(observed, dtype=float)
    weights = np.asarray(shares, dtype=float)
    if counts.shape != weights.shape or counts.size < 2:
        raise ValueError("give one count and one share per arm, for at least two arms")
    if (weights <= 0).any():
        raise ValueError("every share must be positive")
    total = counts.sum()
    expected = total * weights / weights.sum()
    if total == 0:
        return SampleRatio(tuple(int(c) for c in counts), tuple(expected.tolist()), 0.0, 1.0, False)
    chi_square = float(((counts - expected) ** 2 / expected).sum())
    p_value = float(sp.chi2.sf(chi_square, counts.size - 1))
    return SampleRatio(tuple(int(c) for c in counts), tuple(float(e) for e in expected), chi_square, p_value,
                       p_value < threshold)
