"""Relative quality: a model's total score as a percentage of a reference model's.

**Method** (the Vicuna evaluation's headline figure, "Vicuna-13B scored 92 % of
ChatGPT's total"): over the items both models were scored on — a single grade's
``(question, turn)``, or a paired comparison's ``(question, turn)`` — sum each
model's scores; the relative quality is ``100 · total(model) / total(reference)``.
Only items both have count, so a missing grade on either side drops the item
from both totals rather than lowering one of them.

**Interval**: the question-clustered bootstrap of :mod:`judgebench.stats.bootstrap`
(the same question multiplicities as every other interval of a report with the
same seed): per replicate ``100 · (w @ model sums) / (w @ reference sums)``,
percentile interval of the replicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from judgebench.records import Judgment
from judgebench.stats.bootstrap import DEFAULT_BOOTSTRAP, Bootstrap, question_codes, ratio_interval
from judgebench.stats.tables import latest_judgments

__all__ = ["RelativeTotal", "relative_total", "relative_totals"]


@dataclass(frozen=True)
class RelativeTotal:
    """One model's total against the reference's, over the items both were scored on.

    Attributes:
        total: the model's summed scores (score points).
        reference_total: the reference's summed scores on the same items.
        n: items summed (``(question, turn)`` pairs).
        pct: ``100 · total / reference_total`` (``None`` when that total is 0 or ``n`` is 0).
        pct_lo, pct_hi: its question-clustered percentile interval (``None`` without replicates).
    """

    total: float
    reference_total: float
    n: int
    pct: float | None
    pct_lo: float | None = None
    pct_hi: float | None = None


def relative_total(
    scores: Mapping[tuple[str, int], float],
    reference: Mapping[tuple[str, int], float],
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    questions: Sequence[str] | None = None,
) -> RelativeTotal:
    """``scores`` against ``reference``, both keyed by ``(question id, turn)``.

    Args:
        scores: the model's score per item.
        reference: the reference's score per item.
        bootstrap: interval settings (0 replicates: no interval).
        questions: the question ids the bootstrap resamples (default: those of
            the shared items); pass every model's questions to share the
            replicates across models.

    >>> r = relative_total({("1", 1): 6.0, ("2", 1): 3.0}, {("1", 1): 8.0, ("2", 1): 4.0, ("3", 1): 9.0}, Bootstrap(0))
    >>> r.total, r.reference_total, r.n, r.pct
    (9.0, 12.0, 2, 75.0)
    """
    shared = sorted(k for k in scores if k in reference)
    total = float(sum(scores[k] for k in shared))
    ref_total = float(sum(reference[k] for k in shared))
    pct = 100.0 * total / ref_total if shared and ref_total > 0 else None
    if pct is None or bootstrap.replicates == 0:
        return RelativeTotal(total, ref_total, len(shared), pct)
    names = sorted(set(questions or ())) or question_codes(q for q, _ in shared)[1]
    index = {q: i for i, q in enumerate(names)}
    num = np.zeros((len(names), 1))
    den = np.zeros((len(names), 1))
    for key in shared:
        num[index[key[0]], 0] += scores[key]
        den[index[key[0]], 0] += reference[key]
    weights = bootstrap.weights(len(names))
    lo, hi = ratio_interval(num, den, weights, bootstrap.level)
    bounds = [None if np.isnan(x) else 100.0 * float(x) for x in (lo[0], hi[0])]
    return RelativeTotal(total, ref_total, len(shared), pct, bounds[0], bounds[1])


def relative_totals(
    judgments: Sequence[Judgment], reference: str, bootstrap: Bootstrap = DEFAULT_BOOTSTRAP
) -> dict[str, RelativeTotal]:
    """Every graded model's total as a percentage of ``reference``'s, from one judge's single grades.

    The last record of each grade counts, and only ``ok`` grades with a score
    (as in :func:`~judgebench.stats.single_table`). Every model is resampled
    over the same questions (all graded questions), so the replicates line up.

    Returns:
        ``{model: RelativeTotal}`` for each graded model (the reference
        included, at 100 %); empty when ``reference`` has no grade.
    """
    by_model: dict[str, dict[tuple[str, int], float]] = {}
    for j in latest_judgments(judgments):
        if j.status == "ok" and j.score is not None:
            by_model.setdefault(j.model, {})[(str(j.question_id), j.turn)] = j.score
    ref = by_model.get(reference)
    if ref is None:
        return {}
    questions = sorted({q for scores in by_model.values() for q, _ in scores})
    return {m: relative_total(s, ref, bootstrap, questions) for m, s in sorted(by_model.items())}
