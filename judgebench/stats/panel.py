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

How far the panel's judges agree, and whether a judge favours its own family:
:mod:`judgebench.stats.panel_agreement` (:func:`~judgebench.stats.panel_agreement.panel_summary`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Literal

import numpy as np

from judgebench.records import Judgment, PairGame, PairScore

__all__ = [
    "PANEL",
    "GamePanel",
    "GradePanel",
    "game_panel",
    "grade_panel",
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
