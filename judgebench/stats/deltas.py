"""Paired deltas between a base run and a candidate run, and the gate's verdict.

Pure (numpy; seeded). The unit is the question: a model's score on a question
is the mean of its graded turns there (both turns move together), and a
candidate is compared with the base on the questions both have scored.

**Paired bootstrap.** With per-question deltas ``d_1..d_n`` (candidate minus
base), the estimate is their mean; its interval is the percentile interval of
``B`` means of ``n`` deltas drawn with replacement (one draw of question
indices per replicate, shared by every statistic of that replicate), seeded.
Pairing removes the between-question variance that two separate intervals
would double-count.

**Gate** (non-inferiority with margin ``m``, ``--fail-below m``): with the
interval ``[lo, hi]`` of the mean delta at the chosen confidence,

- ``hi < m``: the candidate is worse than the margin allows — *regression*;
- ``lo >= m``: it is not worse than the margin — *pass*;
- otherwise the data cannot tell — *inconclusive*.

``m = 0`` (the default) means "must not get worse"; ``m = -0.25`` tolerates
a drop of a quarter point. An identical rerun has every delta 0 and passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["Delta", "GateVerdict", "gate", "paired_delta"]

GateVerdict = Literal["pass", "regression", "inconclusive"]


@dataclass(frozen=True)
class Delta:
    """Candidate minus base, paired by question.

    Attributes:
        base: mean base score over the paired questions.
        candidate: mean candidate score over them.
        delta: ``candidate - base``.
        lo: lower end of the interval.
        hi: upper end.
        n: paired questions.
        confidence: the interval's coverage.
    """

    base: float
    candidate: float
    delta: float
    lo: float
    hi: float
    n: int
    confidence: float


def paired_delta(
    base: Mapping[str, float],
    candidate: Mapping[str, float],
    *,
    replicates: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Delta | None:
    """Mean per-question delta with a paired, question-level bootstrap interval.

    Args:
        base: question id → score in the base run.
        candidate: question id → score in the candidate run.
        replicates: bootstrap replicates (0: the interval is the point).
        confidence: interval coverage, e.g. 0.95.
        seed: seeds the resampling.

    Returns:
        ``None`` when no question is scored in both.

    >>> d = paired_delta({"1": 7.0, "2": 8.0, "3": 6.0}, {"1": 7.0, "2": 8.0, "3": 6.0})
    >>> (d.delta, d.lo, d.hi, d.n)
    (0.0, 0.0, 0.0, 3)
    >>> d = paired_delta({"1": 8.0, "2": 8.0}, {"1": 5.0, "2": 6.0, "9": 1.0}, seed=1)
    >>> (d.delta, d.n, d.lo <= d.delta <= d.hi)
    (-2.5, 2, True)
    """
    shared = sorted(set(base) & set(candidate))
    if not shared:
        return None
    b = np.array([base[q] for q in shared], dtype=float)
    c = np.array([candidate[q] for q in shared], dtype=float)
    diffs = c - b
    point = float(diffs.mean())
    if replicates > 0 and len(shared) > 1:
        rng = np.random.default_rng(seed)
        draws = rng.integers(0, len(shared), size=(replicates, len(shared)))
        means = diffs[draws].mean(axis=1)
        tail = (1.0 - confidence) / 2.0
        lo, hi = (float(x) for x in np.quantile(means, [tail, 1.0 - tail]))
    else:
        lo = hi = point
    return Delta(float(b.mean()), float(c.mean()), point, min(lo, point), max(hi, point), len(shared), confidence)


def gate(delta: Delta, fail_below: float = 0.0) -> GateVerdict:
    """The gate's verdict for one delta (see the module docs).

    >>> gate(Delta(7, 6, -1.0, -1.5, -0.5, 80, 0.95))
    'regression'
    >>> gate(Delta(7, 7, 0.0, 0.0, 0.0, 80, 0.95))
    'pass'
    >>> gate(Delta(7, 6.9, -0.1, -0.4, 0.2, 80, 0.95))
    'inconclusive'
    >>> gate(Delta(7, 6.9, -0.1, -0.2, 0.0, 80, 0.95), fail_below=-0.25)
    'pass'
    """
    if delta.hi < fail_below:
        return "regression"
    if delta.lo >= fail_below:
        return "pass"
    return "inconclusive"
