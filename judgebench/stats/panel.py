"""A judge panel: several judges' verdicts on the same items, pooled and compared.

Pure functions over records (no I/O). The panel's verdicts:

- **single grades**: the panel's grade of an item (question, model, turn) is the
  **mean** of its judges' grades. Only items every judge of the panel graded
  (status ``ok``) are the panel's; the rest are counted in ``left_out``.
- **pairwise verdicts**: the panel's verdict of a game (question, turn, pair, and
  which answer was shown first) is the verdict **more than half** of its judges
  gave (a model, or a tie); with **no majority the game is a tie** (three
  judges saying A, B and tie; two judges who disagree). Only games every judge
  gave a verdict for are the panel's. The panel's two position-swapped games of
  a comparison are then reconciled as any judge's are (a win needs both).

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

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from judgebench.records import Judgment, PairGame, PairScore
from judgebench.stats.bias import model_family
from judgebench.stats.bootstrap import (
    DEFAULT_BOOTSTRAP,
    Bootstrap,
    percentile_interval,
    question_codes,
    question_weights,
)

__all__ = [
    "PANEL",
    "GamePanel",
    "GradePanel",
    "game_panel",
    "grade_panel",
    "panel_summary",
    "score_panel",
]

PANEL = "panel"
"""The judge name of the panel's own records (``report --panel``, ``compare --judge panel``)."""

ItemKey = tuple[str, str, int]
"""(question id, model, turn) of a single grade."""
GameKey = tuple[str, int, str, str, str]
"""(question id, turn, first model of the pair in sorted order, second, the model shown first)."""


class GradePanel:
    """Every judge's grade of each item all of them graded.

    Attributes:
        judges: the panel's judges, in order.
        items: the items, sorted.
        grades: ``len(judges) × len(items)`` grades.
        left_out: items some judge graded but not every judge did.
        records: one judge's record per item (the first judge's), the template of the panel's.
    """

    def __init__(self, grades: Mapping[str, Sequence[Judgment]]) -> None:
        self.judges = tuple(grades)
        by_judge: list[dict[ItemKey, Judgment]] = []
        for judge in self.judges:
            by_judge.append(
                {
                    (str(j.question_id), j.model, j.turn): j
                    for j in grades[judge]
                    if j.status == "ok" and j.score is not None
                }
            )
        every = set.union(*(set(d) for d in by_judge)) if by_judge else set()
        common = set.intersection(*(set(d) for d in by_judge)) if by_judge else set()
        self.items: list[ItemKey] = sorted(common)
        self.left_out = len(every) - len(common)
        self.grades = np.array(
            [[float(d[k].score or 0.0) for k in self.items] for d in by_judge], dtype=np.float64
        ).reshape(len(self.judges), len(self.items))
        self.records = [by_judge[0][k] for k in self.items] if by_judge else []

    def judgments(self) -> list[Judgment]:
        """The panel's records: each item's mean grade, judge :data:`PANEL`."""
        means = self.grades.mean(axis=0) if len(self.judges) else np.zeros(0)
        return [
            replace(r, judge=PANEL, score=float(m), judgment="", user_prompt="", key="", reused=False)
            for r, m in zip(self.records, means, strict=True)
        ]


def grade_panel(grades: Mapping[str, Sequence[Judgment]]) -> GradePanel:
    """The :class:`GradePanel` of each judge's latest single grades (judge → records).

    >>> g = lambda judge, s: Judgment(question_id=1, model="m", turn=1, judge=judge, prompt="p", score=s)
    >>> p = grade_panel({"a": [g("a", 8.0)], "b": [g("b", 5.0)], "c": [g("c", 6.0)]})
    >>> p.items, p.judgments()[0].score, p.judgments()[0].judge
    ([('1', 'm', 1)], 6.333333333333333, 'panel')
    """
    return GradePanel(grades)


def _majority(verdicts: Sequence[str]) -> str:
    """The verdict more than half give; ``tie`` when none does.

    >>> _majority(["x", "x", "y"]), _majority(["x", "y", "tie"]), _majority(["x", "y"])
    ('x', 'tie', 'tie')
    """
    counts: dict[str, int] = defaultdict(int)
    for v in verdicts:
        counts[v] += 1
    best = max(counts, key=lambda v: counts[v]) if counts else "tie"
    return best if counts.get(best, 0) * 2 > len(verdicts) else "tie"


def _game_key(g: PairGame) -> GameKey:
    first_shown = g.model_1 if g.game == 1 else g.model_2
    low, high = sorted((g.model_1, g.model_2))
    return (str(g.question_id), g.turn, low, high, first_shown)


def _winner_name(g: PairGame) -> str:
    """The model that won the game, or ``tie``."""
    return "tie" if g.winner == "tie" else g.model_1 if g.winner == "model_1" else g.model_2


class GamePanel:
    """Every judge's verdict on each game all of them gave a verdict for.

    Attributes:
        judges: the panel's judges, in order.
        games: the game keys (:data:`GameKey`), sorted.
        verdicts: ``len(judges) × len(games)`` winners: a model name or ``tie``.
        left_out: games some judge gave a verdict for but not every judge did.
    """

    def __init__(self, games: Mapping[str, Sequence[PairGame]]) -> None:
        self.judges = tuple(games)
        by_judge: list[dict[GameKey, PairGame]] = []
        for judge in self.judges:
            by_judge.append({_game_key(g): g for g in games[judge] if g.status == "ok" and g.winner is not None})
        every = set.union(*(set(d) for d in by_judge)) if by_judge else set()
        common = set.intersection(*(set(d) for d in by_judge)) if by_judge else set()
        self.games: list[GameKey] = sorted(common)
        self.left_out = len(every) - len(common)
        self.verdicts = [[_winner_name(d[k]) for k in self.games] for d in by_judge]
        self.records = [by_judge[0][k] for k in self.games] if by_judge else []

    def majority(self, judges: Sequence[int] | None = None) -> list[str]:
        """Each game's majority verdict of these judges (indices; default: all)."""
        rows = [self.verdicts[i] for i in (range(len(self.judges)) if judges is None else judges)]
        return [_majority([r[n] for r in rows]) for n in range(len(self.games))]

    def pair_games(self) -> list[PairGame]:
        """The panel's records: each game's majority verdict, judge :data:`PANEL`."""
        out = []
        for record, won in zip(self.records, self.majority(), strict=True):
            winner: Literal["model_1", "model_2", "tie"] = (
                "tie" if won == "tie" else "model_1" if won == record.model_1 else "model_2"
            )
            blank = replace(record, verdict=None, strong=False, judgment="", user_prompt="", key="", reused=False)
            out.append(replace(blank, judge=PANEL, winner=winner))
        return out


def score_panel(scores: Mapping[str, Sequence[PairScore]]) -> tuple[list[PairScore], int]:
    """The panel's paired-scoring games: each answer's score is the mean of the judges' scores of it.

    A game is one comparison shown in one order (question, turn, the two models, the one shown
    first); it is the panel's only when every judge scored it (``status`` ``ok``). Each judge's
    scores are matched by model name, so judges whose records name the pair in other orders
    (``--baseline`` or ``--all-pairs``) pool alike; the panel's record takes the first judge's
    ``model_1``/``model_2``/``game``.

    Args:
        scores: judge → its latest current paired-scoring records.

    Returns:
        The panel's records (judge :data:`PANEL`), and how many games were left out
        for want of every judge's scores.

    >>> s = lambda judge, a, b, m1="x", m2="y", game=1: PairScore(
    ...     question_id=1, model_1=m1, model_2=m2, turn=1, judge=judge, prompt="p", game=game, score_1=a, score_2=b)
    >>> panel, left = score_panel({"j": [s("j", 8.0, 4.0)], "k": [s("k", 5.0, 7.0, "y", "x", 2)]})
    >>> [(r.judge, r.model_1, r.game, r.score_1, r.score_2) for r in panel], left
    ([('panel', 'x', 1, 7.5, 4.5)], 0)
    >>> score_panel({"j": [s("j", 8.0, 4.0)], "k": [s("k", None, None)]})[1]
    1
    """
    by_game: dict[GameKey, dict[str, PairScore]] = defaultdict(dict)
    for judge, records in scores.items():
        for r in records:
            first_shown = r.model_1 if r.game == 1 else r.model_2
            low, high = sorted((r.model_1, r.model_2))
            by_game[(str(r.question_id), r.turn, low, high, first_shown)][judge] = r
    panel: list[PairScore] = []
    left_out = 0
    for key in sorted(by_game):
        got = by_game[key]
        if len(got) < len(scores) or any(r.score_1 is None or r.score_2 is None for r in got.values()):
            left_out += 1
            continue
        first = next(iter(got.values()))
        by_model: dict[str, list[float]] = defaultdict(list)
        for r in got.values():
            by_model[r.model_1].append(float(r.score_1 or 0.0))  # never None here (checked above)
            by_model[r.model_2].append(float(r.score_2 or 0.0))
        mean = {m: float(np.mean(v)) for m, v in by_model.items()}
        panel.append(
            replace(
                first,
                judge=PANEL,
                score_1=mean[first.model_1],
                score_2=mean[first.model_2],
                judgment="",
                user_prompt="",
            )
        )
    return panel, left_out


def game_panel(games: Mapping[str, Sequence[PairGame]]) -> GamePanel:
    """The :class:`GamePanel` of each judge's latest pair games (judge → records).

    >>> def g(judge, w): return PairGame(question_id=1, model_1="a", model_2="b", turn=1, judge=judge, prompt="p",
    ...                                  game=1, winner=w)
    >>> p = game_panel({"x": [g("x", "model_1")], "y": [g("y", "model_1")], "z": [g("z", "tie")]})
    >>> p.majority(), p.pair_games()[0].winner
    (['a'], 'model_1')
    """
    return GamePanel(games)


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
    counts = question_weights(len(names), boot.replicates, boot.seed)[:, codes].astype(np.int64)
    columns = np.arange(data.shape[1])
    draws = [_alpha(data[:, np.repeat(columns, row)], level) for row in counts]
    values = np.array([np.nan if a is None else a for a in draws], dtype=np.float64)
    if np.isnan(values).all():
        return None, None
    lo, hi = percentile_interval(values[:, None], boot.level)
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
    weights = question_weights(len(codes), boot.replicates, boot.seed) if boot.replicates else None
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
                    lo, hi = percentile_interval(taus[:, None], boot.level)
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
        w = question_weights(len(names), bootstrap.replicates, bootstrap.seed)
        lo, hi = percentile_interval(((w @ diff) / (w @ count))[:, None], bootstrap.level)
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
