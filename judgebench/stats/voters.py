"""Each voter's agreement with the pooled leaderboard (arena and imported votes).

A pooled Bradley–Terry table over every voter hides a voter who clicks at
random. This module measures, for each voter, how often their decided votes
(not ties) pick the model that the **other voters' pooled ratings** rate
higher — leave-one-voter-out, so a voter does not agree with a table their own
votes moved. A voter who votes at random agrees half the time; a voter whose
agreement cannot be told apart from that is flagged ``at_chance``: the exact
one-sided binomial test of ``agree`` out of ``scored`` against 0.5
(``scipy.stats.binomtest``, alternative "greater") gives ``p_chance`` ≥ 0.05 —
which includes voters with too few votes to tell. A voter who agrees significantly
*less* often than chance (the same test, alternative "less", p < 0.05) votes the
other way round (a swapped button, or a contrarian) and is also flagged ``reversed``.

Formula, for voter ``v`` with decided votes ``D_v`` whose two models both have
finite, unequal ratings in the fit without ``v``:
``rate = |{d ∈ D_v : d's winner is rated higher}| / |D_v|``. The interval is
the question-clustered percentile bootstrap of that ratio (the voter's
questions resampled, see :func:`~judgebench.stats.bootstrap.ratio_interval`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from judgebench.records import HumanVote
from judgebench.stats.bootstrap import DEFAULT_BOOTSTRAP, Bootstrap, question_codes, ratio_interval
from judgebench.stats.ratings import bradley_terry, outcomes_from_votes

__all__ = ["CHANCE", "voter_agreement"]

CHANCE = 0.5
"""Agreement of a voter who picks a side at random."""


def _ratings_without(votes: Sequence[HumanVote]) -> dict[str, float]:
    """Point ratings of the pooled votes (no intervals); empty when none exist."""
    if not votes:
        return {}
    fit = bradley_terry(outcomes_from_votes(votes), bootstrap=Bootstrap(replicates=0))
    return {str(m): float(r) for m, r in fit.table["rating"].items() if math.isfinite(r)}


def voter_agreement(
    votes: Sequence[HumanVote], *, bootstrap: Bootstrap = DEFAULT_BOOTSTRAP, alpha: float = 0.05
) -> list[dict[str, Any]]:
    """One row per voter (most votes first): their votes and agreement with everyone else's ratings.

    Args:
        votes: every voter's votes (``HumanVote.judge`` names the voter).
        bootstrap: interval settings (``replicates=0``: no intervals).
        alpha: the test's level.

    Returns:
        dicts with ``voter``, ``votes``, ``ties``, ``scored`` (decided votes the
        others' ratings can score), ``agree``, ``rate`` (``None`` when nothing
        is scored), ``rate_lo``/``rate_hi`` and ``at_chance`` (the interval
        ``p_chance`` (one-sided exact binomial p-value against :data:`CHANCE`),
        ``at_chance`` (``p_chance`` ≥ ``alpha``) and ``reversed`` (agreeing
        significantly less often than chance); both ``None`` when nothing is
        scored.

    >>> vs = [HumanVote(question_id=q, model_a="x", model_b="y", winner=w, judge=j)
    ...       for q, w, j in [(1, "model_a", "p"), (2, "model_a", "p"), (3, "model_b", "p"),
    ...                       (1, "model_a", "q"), (2, "model_b", "q"), (3, "model_a", "q")]]
    >>> [(r["voter"], r["agree"], r["scored"]) for r in voter_agreement(vs, bootstrap=Bootstrap(0))]
    [('p', 2, 3), ('q', 2, 3)]
    """
    by_voter: dict[str, list[HumanVote]] = defaultdict(list)
    for v in votes:
        by_voter[v.judge].append(v)
    rows = []
    for voter, own in sorted(by_voter.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        ratings = _ratings_without([v for v in votes if v.judge != voter])
        questions: list[object] = []
        hits: list[float] = []
        for v in own:
            ra, rb = ratings.get(v.model_a), ratings.get(v.model_b)
            if v.is_tie or ra is None or rb is None or ra == rb:
                continue
            questions.append(v.question_id)
            hits.append(1.0 if (v.winner == "model_a") == (ra > rb) else 0.0)
        scored, agree = len(hits), int(sum(hits))
        row: dict[str, Any] = {
            "voter": voter,
            "votes": len(own),
            "ties": sum(v.is_tie for v in own),
            "scored": scored,
            "agree": agree,
            "rate": agree / scored if scored else None,
            "rate_lo": None,
            "rate_hi": None,
            "p_chance": None,
            "at_chance": None,
            "reversed": None,
        }
        if scored:
            from scipy.stats import binomtest  # scipy: only when voters are checked

            row["p_chance"] = float(binomtest(agree, scored, CHANCE, alternative="greater").pvalue)
            row["at_chance"] = row["p_chance"] >= alpha
            row["reversed"] = float(binomtest(agree, scored, CHANCE, alternative="less").pvalue) < alpha
        if scored and bootstrap.replicates:
            codes, names = question_codes(questions)
            num = np.bincount(codes, weights=np.array(hits), minlength=len(names)).astype(np.float64)[:, None]
            den = np.bincount(codes, minlength=len(names)).astype(np.float64)[:, None]
            weights = bootstrap.weights(len(names))
            lo, hi = ratio_interval(num, den, weights, bootstrap.level)
            row["rate_lo"], row["rate_hi"] = float(lo[0]), float(hi[0])
        rows.append(row)
    return rows
