"""Pairwise win rates broken down by turn and by question category, with question-clustered intervals.

The figure is FastChat's adjusted win rate, ``(wins + ties / 2) / n``, of each
model over its reconciled comparisons (both position-swapped games; two games
that disagree are a tie, as in :func:`~judgebench.stats.pairwise_table`),
restricted to one turn or to the questions of one category. It is the pairwise
counterpart of the single-grade table's ``turn1``/``turn2``/``category:…``
columns. Intervals: percentile bootstrap resampling whole questions
(:func:`~judgebench.stats.bootstrap.ratio_interval`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from judgebench.stats.arrays import FloatArray
from judgebench.stats.bootstrap import DEFAULT_BOOTSTRAP, Bootstrap, ratio_interval
from judgebench.stats.games import Comparisons

__all__ = ["pairwise_breakdown"]


def pairwise_breakdown(
    comp: Comparisons,
    categories: Mapping[str, str] | None = None,
    *,
    baseline: str | None = None,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
) -> pd.DataFrame:
    """Each model's adjusted win rate per turn (``turn1``, ``turn2``…) and per category (``category:NAME``).

    Args:
        comp: one judge's :func:`~judgebench.stats.comparisons`.
        categories: category of each question id (as a string); questions
            without one are left out of the category columns only.
        baseline: drop this model's row (its rate mirrors the others').
        bootstrap: interval settings; each column ``x`` has ``x_lo``/``x_hi``
            (NaN without replicates). A model with no comparison in a scope has NaN.

    Returns:
        a frame indexed by ``model`` (sorted), one column per scope plus ``n``
        (the model's comparisons).

    >>> from judgebench.records import PairGame
    >>> from judgebench.stats import comparisons
    >>> g = [PairGame(question_id=q, model_1="a", model_2="b", turn=t, judge="j", prompt="p", game=k, winner=w)
    ...      for q, t, w in [(1, 1, "model_1"), (1, 2, "tie"), (2, 1, "model_2")] for k in (1, 2)]
    >>> t = pairwise_breakdown(comparisons(g), {"1": "math", "2": "coding"}, bootstrap=Bootstrap(0))
    >>> t.loc["a", ["turn1", "turn2", "category:math", "category:coding"]].tolist(), int(t.loc["a", "n"])
    ([0.5, 0.5, 0.75, 0.0], 3)
    """
    n_q, n_m = len(comp.questions), len(comp.models)
    question = np.concatenate([comp.question, comp.question])
    model = np.concatenate([comp.model_1, comp.model_2])
    score = np.concatenate([comp.outcome, 1.0 - comp.outcome])
    turn = np.concatenate([comp.turn, comp.turn])
    cats = categories or {}
    names = sorted({cats.get(q, "") for q in comp.questions} - {""})
    code = {c: i for i, c in enumerate(names)}  # codes in name order; -1: no category
    category = np.array([code.get(cats.get(q, ""), -1) for q in comp.questions], dtype=np.int64)[question]
    scopes: list[tuple[str, npt.NDArray[np.bool_]]] = [(f"turn{t}", turn == t) for t in sorted(set(turn.tolist()))]
    scopes += [(f"category:{names[c]}", category == c) for c in np.unique(category[category >= 0]).tolist()]
    weights = bootstrap.weights(n_q) if bootstrap.replicates else None
    columns: dict[str, FloatArray] = {}
    for name, mask in scopes:
        flat = question[mask] * n_m + model[mask]
        sums = np.bincount(flat, weights=score[mask], minlength=n_q * n_m).reshape(n_q, n_m).astype(np.float64)
        counts = np.bincount(flat, minlength=n_q * n_m).reshape(n_q, n_m).astype(np.float64)
        total = counts.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            columns[name] = np.where(total > 0, sums.sum(axis=0) / np.where(total > 0, total, 1.0), np.nan)
        lo = hi = np.full(n_m, np.nan)
        if weights is not None:
            lo, hi = ratio_interval(sums, counts, weights, bootstrap.level)
        columns[f"{name}_lo"], columns[f"{name}_hi"] = lo, hi
    frame = pd.DataFrame(columns, index=pd.Index(comp.models, name="model", dtype=object))
    frame["n"] = np.bincount(model, minlength=n_m).astype(np.int64)
    return frame.drop(index=baseline, errors="ignore") if baseline is not None else frame
