"""``validate-judge``: a judge's verdicts on the voted items, as votes (the one reading the judge and a panel share)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from judgebench.errors import UsageError
from judgebench.records import UNREADABLE, HumanVote, Judgment, PairGame
from judgebench.storage import judgments_path, load_judgments, load_pair_games

__all__ = ["Item", "judge_records", "unreadable_items", "votes_of"]

Item = tuple[str, int, str, str]
"""A voted item: ``(question id as text, turn, model, model)``, the two models sorted."""


def judge_records(results_dir: Path, bench: str, judge: str, mode: str) -> list[Judgment] | list[PairGame]:
    """The judge's latest single grades (``mode`` ``single``) or pair games (``pairwise``) on ``bench``.

    Raises:
        UsageError: it has no verdicts of that mode on the bench.
        DataError: a bad judgment line (``file:line``).
    """
    from judgebench import stats

    path = judgments_path(results_dir, bench, judge, "single" if mode == "single" else "pair")
    if not path.is_file():
        raise UsageError(
            f"--judge {judge}: no {mode} verdicts on {bench} ({path}) — run validate-judge without "
            "--dry-run to judge the voted items"
        )
    if mode == "single":
        return stats.latest_judgments(load_judgments(path))
    return stats.latest_games(load_pair_games(path))


def unreadable_items(records: list[Judgment] | list[PairGame]) -> Callable[[Item], bool]:
    """A test of voted items whose verdict could not be read.

    An item (question, turn, sorted model pair) is unreadable when the judge's
    latest record of it — of either model's grade (single), of either game
    (pairwise) — is ``unparsed`` or ``truncated``.
    """
    bad: set[tuple[str, int, str]] = set()
    unread: set[Item] = set()
    for r in records:
        if r.status not in UNREADABLE:
            continue
        if isinstance(r, Judgment):
            bad.add((str(r.question_id), r.turn, r.model))
        else:
            first, second = sorted((r.model_1, r.model_2))
            unread.add((str(r.question_id), r.turn, first, second))
    return lambda i: i in unread or (i[0], i[1], i[2]) in bad or (i[0], i[1], i[3]) in bad


def votes_of(
    records: list[Judgment] | list[PairGame], name: str, mode: str, tie_threshold: float
) -> tuple[list[HumanVote], dict[str, Any] | None]:
    """Latest grades (``mode`` ``single``) or pair games as votes named ``name``, and their position consistency.

    Grades: the higher grade wins unless the two differ by no more than ``tie_threshold``
    (:func:`judgebench.stats.agreement.votes_from_grades`); consistency ``None``. Pair games: both
    orders reconciled, games that disagree a tie (:func:`judgebench.stats.agreement.votes_from_comparisons`);
    consistency ``{"consistent": …, "n": comparisons, "rate": …}``.
    """
    from judgebench import stats
    from judgebench.stats.agreement import votes_from_comparisons, votes_from_grades

    if mode == "single":
        grades = [r for r in records if isinstance(r, Judgment)]
        return votes_from_grades(grades, name, tie_threshold=tie_threshold), None
    comp = stats.comparisons([r for r in records if isinstance(r, PairGame)])
    n = len(comp)
    same = int(comp.consistent.sum())
    return votes_from_comparisons(comp, name), {"consistent": same, "n": n, "rate": same / n if n else None}
