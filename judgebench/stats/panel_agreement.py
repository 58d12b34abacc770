"""How far a judge panel's judges agree: Krippendorff's α, Kendall's τ, self-preference.

The panel itself (mean grades, majority verdicts) is :mod:`judgebench.stats.panel`.

Agreement is Krippendorff's α from the maintained ``krippendorff`` package
(Krippendorff 2011, *Computing Krippendorff's Alpha-Reliability*), with a
question-clustered bootstrap interval: **interval** data for grades, **nominal**
for verdicts (one unit per game) (coded: the first model of the pair
in sorted order wins, the second wins, tie). Each judge's agreement with the
panel is **leave-one-out**: α between the judge and the panel of the *other*
judges (their mean grade; their majority verdict), so a judge is never compared
with a panel it is part of.

Rank stability: each judge ranks the models by its mean grade (single) or by its
adjusted win rate, ``(wins + ties/2) / games`` (pairwise), over the panel's
items; Kendall's τ-b (``scipy.stats.kendalltau``) between two judges' model
scores, with a percentile interval from a question-clustered bootstrap (every
item of a resampled question moves together; replicates where τ is undefined
are left out).

Self-preference: a judge whose family (:func:`judgebench.stats.bias.model_family`:
the vendor by the model name's prefix after the last ``/``, e.g.
``openai/gpt-4o`` and ``openai/gpt-4o-mini`` are both ``openai``) matches the
family of judged models is flagged when its mean grade of those models (single)
or their adjusted win rate against other families' models (pairwise) is higher
than the other judges' panel gives the same items (``gap`` > 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from judgebench.stats.bias import model_family
from judgebench.stats.bootstrap import (
    DEFAULT_BOOTSTRAP,
    Bootstrap,
    question_codes,
)
from judgebench.stats.panel import GamePanel, GradePanel

__all__ = ["panel_summary"]


def _alpha(data: npt.ArrayLike, level: Literal["interval", "nominal"]) -> float | None:
    """Krippendorff's α of a raters × items matrix (``krippendorff.alpha``); ``None`` when undefined."""
    import krippendorff

    matrix = np.asarray(data, dtype=np.float64)
    if matrix.shape[0] < 2 or matrix.shape[1] < 1 or len(np.unique(matrix)) < 2:
        return None  # one value everywhere: no variation, α is undefined
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level))


def _verdict_codes(panel: GamePanel, verdicts: Sequence[str]) -> list[float]:
    """0: the first model of the pair (sorted) won, 1: the second, 2: tie."""
    return [2.0 if v == "tie" else 0.0 if v == k[2] else 1.0 for k, v in zip(panel.games, verdicts, strict=True)]


def _alpha_interval(
    data: npt.NDArray[np.float64], questions: Sequence[str], level: Literal["interval", "nominal"], boot: Bootstrap
) -> tuple[float | None, float | None]:
    """Percentile interval of α over question-bootstrap replicates (an item's column moves with its question)."""
    if not boot.replicates or not data.shape[1]:
        return None, None
    codes, names = question_codes(questions)
    counts = boot.weights(len(names))[:, codes].astype(np.int64)
    columns = np.arange(data.shape[1])
    draws = [_alpha(data[:, np.repeat(columns, row)], level) for row in counts]
    values = np.array([np.nan if a is None else a for a in draws], dtype=np.float64)
    if np.isnan(values).all():
        return None, None
    lo, hi = boot.interval(values[:, None])
    return float(lo[0]), float(hi[0])


def _agreement_single(panel: GradePanel, bootstrap: Bootstrap) -> dict[str, Any]:
    others = [
        {
            "judge": judge,
            "n": len(panel.items),
            "alpha": _alpha([panel.grades[i], np.delete(panel.grades, i, axis=0).mean(axis=0)], "interval"),
        }
        for i, judge in enumerate(panel.judges)
    ]
    lo, hi = _alpha_interval(panel.grades, [k[0] for k in panel.items], "interval", bootstrap)
    return {
        "items": len(panel.items),
        "left_out": panel.left_out,
        "level": "interval",
        "alpha": _alpha(panel.grades, "interval"),
        "alpha_lo": lo,
        "alpha_hi": hi,
        "judge_vs_others": others,
    }


def _agreement_pairwise(panel: GamePanel, bootstrap: Bootstrap) -> dict[str, Any]:
    n = len(panel.judges)
    others = []
    for i, judge in enumerate(panel.judges):
        rest = panel.majority([k for k in range(n) if k != i])
        mine = panel.verdicts[i]
        others.append(
            {
                "judge": judge,
                "n": len(panel.games),
                "alpha": _alpha([_verdict_codes(panel, mine), _verdict_codes(panel, rest)], "nominal"),
                "agree": sum(a == b for a, b in zip(mine, rest, strict=True)) / len(mine) if mine else None,
            }
        )
    codes = np.array([_verdict_codes(panel, v) for v in panel.verdicts], dtype=np.float64)
    lo, hi = _alpha_interval(codes, [k[0] for k in panel.games], "nominal", bootstrap)
    return {
        "games": len(panel.games),
        "left_out": panel.left_out,
        "level": "nominal",
        "alpha": _alpha(codes, "nominal"),
        "alpha_lo": lo,
        "alpha_hi": hi,
        "judge_vs_others": others,
    }


def _tau(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> float:
    from scipy.stats import kendalltau

    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < 2:
        return float("nan")
    return float(kendalltau(x[ok], y[ok]).statistic)


def _rank_stability(
    judges: Sequence[str],
    questions: Sequence[str],
    models: Sequence[str],
    sums: np.ndarray[Any, Any],
    counts: np.ndarray[Any, Any],
    mode: str,
    boot: Bootstrap,
) -> list[dict[str, Any]]:
    """τ between each pair of judges' per-model scores; ``sums``/``counts``: judges × questions × models."""
    codes = np.arange(len(questions))
    total = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = sums.sum(axis=1) / np.where(total > 0, total, np.nan)
    weights = boot.weights(len(codes)) if boot.replicates else None
    replicated = None
    if weights is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.einsum("rq,jqm->rjm", weights, sums)
            c = np.einsum("rq,jqm->rjm", weights, counts)
            replicated = s / np.where(c > 0, c, np.nan)
    out = []
    for a in range(len(judges)):
        for b in range(a + 1, len(judges)):
            row: dict[str, Any] = {
                "mode": mode,
                "judge_a": judges[a],
                "judge_b": judges[b],
                "models": len(models),
                "questions": len(questions),
                "tau": _none_if_nan(_tau(scores[a], scores[b])),
                "tau_lo": None,
                "tau_hi": None,
            }
            if replicated is not None:
                taus = np.array([_tau(r[a], r[b]) for r in replicated])
                if (~np.isnan(taus)).any():
                    lo, hi = boot.interval(taus[:, None])
                    row["tau_lo"], row["tau_hi"] = _none_if_nan(float(lo[0])), _none_if_nan(float(hi[0]))
            out.append(row)
    return out


def _none_if_nan(x: float) -> float | None:
    return None if np.isnan(x) else x


def _single_rank_data(panel: GradePanel) -> tuple[list[str], list[str], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    q_codes, questions = question_codes(k[0] for k in panel.items)
    models = sorted({k[1] for k in panel.items})
    m_index = {m: i for i, m in enumerate(models)}
    sums = np.zeros((len(panel.judges), len(questions), len(models)))
    counts = np.zeros_like(sums)
    for n, key in enumerate(panel.items):
        q, m = q_codes[n], m_index[key[1]]
        sums[:, q, m] += panel.grades[:, n]
        counts[:, q, m] += 1
    return questions, models, sums, counts


def _pair_rank_data(panel: GamePanel) -> tuple[list[str], list[str], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    q_codes, questions = question_codes(k[0] for k in panel.games)
    models = sorted({m for k in panel.games for m in k[2:4]})
    m_index = {m: i for i, m in enumerate(models)}
    sums = np.zeros((len(panel.judges), len(questions), len(models)))
    counts = np.zeros_like(sums)
    for j, verdicts in enumerate(panel.verdicts):
        for n, (key, won) in enumerate(zip(panel.games, verdicts, strict=True)):
            q = q_codes[n]
            for m in key[2:4]:
                counts[j, q, m_index[m]] += 1
                sums[j, q, m_index[m]] += 0.5 if won == "tie" else 1.0 if won == m else 0.0
    return questions, models, sums, counts


def _preference_row(
    judge: str,
    family: str,
    mode: str,
    models: set[str],
    scores: tuple[Sequence[str], Sequence[float], Sequence[float]],
    bootstrap: Bootstrap,
) -> dict[str, Any]:
    """``scores``: per item its question, the judge's score and the others' panel's."""
    questions, mine, rest = scores
    judge_score, others_score = float(np.mean(mine)), float(np.mean(rest))
    row: dict[str, Any] = {
        "judge": judge,
        "family": family,
        "mode": mode,
        "models": sorted(models),
        "n": len(mine),
        "judge_score": judge_score,
        "others_score": others_score,
        "gap": judge_score - others_score,
        "gap_lo": None,
        "gap_hi": None,
        "flag": judge_score > others_score,
    }
    if bootstrap.replicates:
        codes, names = question_codes(questions)
        diff = np.bincount(codes, weights=np.asarray(mine) - np.asarray(rest), minlength=len(names))
        count = np.bincount(codes, minlength=len(names)).astype(np.float64)
        w = bootstrap.weights(len(names))
        lo, hi = bootstrap.interval(((w @ diff) / (w @ count))[:, None])
        row["gap_lo"], row["gap_hi"] = float(lo[0]), float(hi[0])
    return row


def _self_preference(grades: GradePanel | None, games: GamePanel | None, boot: Bootstrap) -> list[dict[str, Any]]:
    """A row per judge and mode where judged models are of the judge's family (see the module docs)."""
    out: list[dict[str, Any]] = []
    for i, judge in enumerate(grades.judges if grades is not None else ()):
        family = model_family(judge)
        own = [n for n, k in enumerate(grades.items) if family and model_family(k[1]) == family] if grades else []
        if grades is None or family is None or not own:
            continue
        others = np.delete(grades.grades, i, axis=0)[:, own].mean(axis=0)
        models = {grades.items[n][1] for n in own}
        scores = ([grades.items[n][0] for n in own], grades.grades[i, own].tolist(), others.tolist())
        out.append(_preference_row(judge, family, "single", models, scores, boot))
    for i, judge in enumerate(games.judges if games is not None else ()):
        family = model_family(judge)
        if games is None or family is None:
            continue
        rest = games.majority([k for k in range(len(games.judges)) if k != i])
        questions: list[str] = []
        mine_s: list[float] = []
        rest_s: list[float] = []
        favoured: set[str] = set()
        for n, key in enumerate(games.games):
            fam = [m for m in key[2:4] if model_family(m) == family]
            if len(fam) != 1:
                continue  # both or neither in the family: no side to prefer
            favoured.add(fam[0])
            questions.append(key[0])
            for won, sink in ((games.verdicts[i][n], mine_s), (rest[n], rest_s)):
                sink.append(0.5 if won == "tie" else 1.0 if won == fam[0] else 0.0)
        if mine_s:
            out.append(_preference_row(judge, family, "pairwise", favoured, (questions, mine_s, rest_s), boot))
    return out


def panel_summary(
    grades: GradePanel | None, games: GamePanel | None, bootstrap: Bootstrap = DEFAULT_BOOTSTRAP
) -> dict[str, Any]:
    """The panel's agreement, rank stability and self-preference figures (JSON-able).

    Returns:
        ``{"judges", "single", "pairwise", "rank_stability", "self_preference"}``:
        ``single``/``pairwise`` (``None`` without such records): the items or
        games every judge gave a verdict for, those ``left_out``, Krippendorff's
        ``alpha`` over every judge (``level`` interval or nominal) with its
        question-bootstrap ``alpha_lo``/``alpha_hi``, and each
        judge's leave-one-out ``alpha`` with the others' panel (``judge_vs_others``;
        pairwise adds ``agree``, the share of games with the same verdict);
        ``rank_stability``: a row per (mode, pair of judges) with ``tau`` and its
        question-bootstrap ``tau_lo``/``tau_hi``; ``self_preference``: a row per
        judge and mode where the judge's family has judged models, with the
        judge's and the others' mean score of them (grade, or adjusted win rate),
        their ``gap`` with its question-bootstrap ``gap_lo``/``gap_hi``, and
        ``flag`` when the judge's is higher.
    """
    judges = dict.fromkeys([*(grades.judges if grades else ()), *(games.judges if games else ())])
    out: dict[str, Any] = {
        "judges": list(judges),
        "single": None,
        "pairwise": None,
        "rank_stability": [],
        "self_preference": _self_preference(grades, games, bootstrap),
    }
    if grades is not None and grades.items:
        out["single"] = _agreement_single(grades, bootstrap)
        out["rank_stability"] += _rank_stability(grades.judges, *_single_rank_data(grades), "single", bootstrap)
    if games is not None and games.games:
        out["pairwise"] = _agreement_pairwise(games, bootstrap)
        out["rank_stability"] += _rank_stability(games.judges, *_pair_rank_data(games), "pairwise", bootstrap)
    return out
