"""Agreement between two judges — people, LLM judges, or a group of people with itself.

**What is compared.** Every verdict is a :class:`~judgebench.records.HumanVote`
on an *item* — (question, unordered model pair, turn) — read in one fixed
orientation, so "A wins" shown one way round equals "B wins" shown the other.
``tie``, ``tie (bothbad)`` and ``tie (inconsistent)`` are the same verdict. Our judges' verdicts come
from :func:`votes_from_comparisons` (the two position-swapped games
reconciled; see there for inconsistent games) or, for single grades, from
:func:`votes_from_grades` (the higher grade wins unless the two differ by no
more than a tie threshold).

**Percentages: FastChat's semantics** (``compute_agreement.py`` in
``fastchat/llm_judge``), implemented independently. For two judges, take
every item both voted on. When a judge has several votes on one item (several
people, say), *each pair* of a vote of one with a vote of the other counts
once. *With ties*: the share of these vote pairs whose verdicts are the same,
over all of them. *Without ties*: the same share over the pairs in which
neither vote is a tie. Human-vs-human (the same group on both sides): every
pair of two different people's votes on the same item counts once.

Where ours differs, and why:

- FastChat's human-vs-human pairs any two votes of an item, even two by the
  same person; we pair only votes of different voters (a person agreeing with
  themself is not agreement between judges). We also skip a pair of one
  voter's vote with itself when the same voter is in both groups.
- FastChat counts an LLM judge's two games whose verdicts disagree (position
  bias) as a tie, as its ``show_result`` does; so do we by default
  (``inconsistent="tie"``); ``inconsistent="drop"`` leaves those items out.

**Cohen's κ** over the same vote pairs: ``κ = (p_o − p_e) / (1 − p_e)``,
``p_o`` the observed share of equal verdicts and ``p_e`` the share expected
from each side's verdict frequencies alone; with ties on three categories
(first wins, second wins, tie), without ties on two. For a group compared
with itself there is no "first" and "second" rater: each pair is counted in
both orders, so both marginals are the pooled frequencies (Scott's π-style).
κ is 0 for chance agreement and 1 for perfect agreement.

**Intervals**: question-clustered bootstrap (all items, turns and vote pairs
of a question move together), percentile intervals; per turn and over all
turns.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from judgebench.records import HumanVote, Judgment, QuestionId
from judgebench.stats.arrays import FloatArray
from judgebench.stats.bootstrap import DEFAULT_BOOTSTRAP, Bootstrap, percentile_interval, question_codes
from judgebench.stats.games import Comparisons
from judgebench.stats.tables import latest_judgments

__all__ = ["Agreement", "agreement", "cohen_kappa", "votes_from_comparisons", "votes_from_grades"]

Inconsistent = Literal["tie", "drop"]
_FIRST, _SECOND, _TIE = 0, 1, 2


def votes_from_comparisons(comp: Comparisons, judge: str, *, inconsistent: Inconsistent = "tie") -> list[HumanVote]:
    """Our judge's reconciled comparisons as votes (``model_1`` as A).

    Args:
        comp: the judge's comparisons (excluded ones are already left out).
        judge: the name the votes carry.
        inconsistent: two games that disagree count as a ``tie`` (FastChat) or are dropped.
    """
    winner = {1.0: "model_a", 0.0: "model_b", 0.5: "tie"}
    votes = []
    for i in range(len(comp)):
        if inconsistent == "drop" and not comp.consistent[i]:
            continue
        votes.append(
            HumanVote(
                question_id=comp.questions[comp.question[i]],
                model_a=comp.models[comp.model_1[i]],
                model_b=comp.models[comp.model_2[i]],
                winner=winner[float(comp.outcome[i])],  # type: ignore[arg-type]
                judge=judge,
                turn=int(comp.turn[i]),
            )
        )
    return votes


def votes_from_grades(judgments: Sequence[Judgment], judge: str, *, tie_threshold: float = 0.0) -> list[HumanVote]:
    """Single grades as pairwise votes: for each (question, turn), every pair of graded models.

    The higher grade wins when the grades differ by more than ``tie_threshold``; else a tie.

    >>> g = [Judgment(question_id=1, model=m, turn=1, judge="j", prompt="p", score=s)
    ...      for m, s in [("x", 8.0), ("y", 7.5)]]
    >>> [v.winner for v in votes_from_grades(g, "j")], [v.winner for v in votes_from_grades(g, "j", tie_threshold=0.5)]
    (['model_a'], ['tie'])
    """
    graded: dict[tuple[str, int], dict[str, tuple[QuestionId, float]]] = defaultdict(dict)
    for j in latest_judgments(judgments):
        if j.status == "ok" and j.score is not None:
            graded[(str(j.question_id), j.turn)][j.model] = (j.question_id, j.score)
    votes = []
    for (_, turn), scores in graded.items():
        models = sorted(scores)
        for i, a in enumerate(models):
            for b in models[i + 1 :]:
                diff = scores[a][1] - scores[b][1]
                winner = "tie" if abs(diff) <= tie_threshold else "model_a" if diff > 0 else "model_b"
                votes.append(HumanVote(scores[a][0], a, b, winner, judge, turn))  # type: ignore[arg-type]
    return votes


def cohen_kappa(confusion: FloatArray) -> FloatArray:
    """κ of a ``… × k × k`` confusion matrix (rows: judge A's verdict, columns: judge B's).

    >>> round(float(cohen_kappa(np.array([[20.0, 5.0], [10.0, 15.0]]))), 12)
    0.4
    >>> float(cohen_kappa(np.eye(3) * 4))
    1.0
    """
    n = confusion.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.trace(confusion, axis1=-2, axis2=-1) / n
        expected = (confusion.sum(axis=-1) * confusion.sum(axis=-2)).sum(axis=-1) / n**2
        return np.asarray((observed - expected) / (1.0 - expected), dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Agreement:
    """Agreement between judge ``a`` and judge ``b``.

    Attributes:
        a, b: the two judges (names or patterns as given).
        same_group: ``b`` is ``a`` (agreement among its voters).
        rows: one dict per scope (``turn`` 1, 2…, then ``"all"``): ``n``
            vote pairs and ``agree`` / ``rate`` (+ ``_lo``/``_hi``) with ties,
            ``kappa`` (+ interval) with ties, and the same with a
            ``_no_tie`` suffix without ties; ``n_items`` items and
            ``n_questions`` questions behind them.
        replicates: bootstrap replicates.
    """

    a: str
    b: str
    same_group: bool
    rows: list[dict[str, Any]]
    replicates: int


def _verdict(v: HumanVote) -> tuple[tuple[str, str, str, int], int, str]:
    """``(item, verdict in the item's orientation, voter)``."""
    flip = v.model_a > v.model_b
    first, second = (v.model_b, v.model_a) if flip else (v.model_a, v.model_b)
    verdict = _TIE if v.is_tie else (_FIRST if (v.winner == "model_a") != flip else _SECOND)
    return (str(v.question_id), first, second, v.turn), verdict, v.judge


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _vote_pairs(
    votes_a: Sequence[HumanVote], votes_b: Sequence[HumanVote] | None
) -> list[tuple[str, int, int, int, int]]:
    """Every compared pair of votes: ``(question, turn, item, verdict of a, verdict of b)``."""
    same = votes_b is None
    items_a: dict[tuple[str, str, str, int], list[tuple[int, str]]] = defaultdict(list)
    for v in votes_a:
        key, verdict, voter = _verdict(v)
        items_a[key].append((verdict, voter))
    items_b = items_a
    if votes_b is not None:
        items_b = defaultdict(list)
        for v in votes_b:
            key, verdict, voter = _verdict(v)
            items_b[key].append((verdict, voter))
    pairs: list[tuple[str, int, int, int, int]] = []
    for item, (key, left) in enumerate(items_a.items()):
        right = items_b.get(key)
        if not right:
            continue
        if same:
            for i, (va, pa) in enumerate(left):
                pairs.extend((key[0], key[3], item, va, vb) for vb, pb in left[i + 1 :] if pb != pa)
        else:
            pairs.extend((key[0], key[3], item, va, vb) for va, pa in left for vb, pb in right if pa != pb)
    return pairs


def _figures(
    total: FloatArray, samples: FloatArray | None, keep: list[int], *, same: bool, level: float, suffix: str
) -> dict[str, Any]:
    """``n``, ``agree``, ``rate`` and ``kappa`` (with intervals) over the verdict categories ``keep``."""
    confusion = total.reshape(3, 3)[np.ix_(keep, keep)]
    if same:
        confusion = confusion + confusion.T
    n = float(confusion.sum())
    agree = float(np.trace(confusion))
    scale = 2 if same else 1
    row: dict[str, Any] = {
        f"n{suffix}": int(n / scale),
        f"agree{suffix}": int(agree / scale),
        f"rate{suffix}": agree / n if n else None,
        f"rate{suffix}_lo": None,
        f"rate{suffix}_hi": None,
        f"kappa{suffix}": _num(float(cohen_kappa(confusion))) if n else None,
        f"kappa{suffix}_lo": None,
        f"kappa{suffix}_hi": None,
    }
    if samples is not None and n:
        boot = samples.reshape(-1, 3, 3)[:, keep][:, :, keep]
        if same:
            boot = boot + boot.transpose(0, 2, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.trace(boot, axis1=1, axis2=2) / boot.sum(axis=(1, 2))
        lo, hi = percentile_interval(np.column_stack([rate, cohen_kappa(boot)]), level)
        row[f"rate{suffix}_lo"], row[f"rate{suffix}_hi"] = _num(lo[0]), _num(hi[0])
        row[f"kappa{suffix}_lo"], row[f"kappa{suffix}_hi"] = _num(lo[1]), _num(hi[1])
    return row


def agreement(
    votes_a: Sequence[HumanVote],
    votes_b: Sequence[HumanVote] | None = None,
    *,
    a: str = "a",
    b: str = "b",
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
) -> Agreement:
    """FastChat's with-ties and without-ties agreement, and Cohen's κ, per turn and overall.

    Args:
        votes_a: judge A's votes.
        votes_b: judge B's; ``None`` compares A's voters with each other.
        a: A's name in the result.
        b: B's name.
        bootstrap: interval settings.
    """
    same = votes_b is None
    pairs = _vote_pairs(votes_a, votes_b)
    codes, questions = question_codes(p[0] for p in pairs)
    n_q = len(questions)
    turns = np.array([p[1] for p in pairs], dtype=np.int64)
    item_of = np.array([p[2] for p in pairs], dtype=np.int64)
    cells = np.array([p[3] * 3 + p[4] for p in pairs], dtype=np.int64)
    weights = bootstrap.weights(n_q) if bootstrap.replicates else None
    scopes: list[tuple[int | str, Any]] = [(int(t), turns == t) for t in sorted(set(turns.tolist()))]
    scopes.append(("all", np.ones(len(pairs), dtype=bool)))
    rows = []
    for scope, mask in scopes:
        per_q = np.bincount(codes[mask] * 9 + cells[mask], minlength=n_q * 9).reshape(n_q, 9).astype(np.float64)
        row: dict[str, Any] = {"turn": scope}
        row["n_items"] = len(set(item_of[mask].tolist()))
        row["n_questions"] = len(set(codes[mask].tolist()))
        samples = weights @ per_q if weights is not None else None
        for suffix, keep in (("", [0, 1, 2]), ("_no_tie", [0, 1])):
            row |= _figures(per_q.sum(axis=0), samples, keep, same=same, level=bootstrap.level, suffix=suffix)
        rows.append(row)
    return Agreement(a=a, b=a if same else b, same_group=same, rows=rows, replicates=bootstrap.replicates)
