"""``validate-judge -j A -j B``: each member's agreement with the experts, and the panel's, side by side.

Each member is compared exactly as ``validate-judge -j A`` alone compares it
(:func:`judgebench.pipeline.validation.validate_judge` on the same records), so
its row is the row a single run prints. The panel is one more judge, named
:data:`judgebench.stats.panel.PANEL`, whose verdicts are the ones ``report
--panel`` gives (:mod:`judgebench.stats.panel`, the one home of the rule):

- **pairwise**: each game's (one order's) verdict is the one more than half of
  the members gave, no majority a tie (:func:`~judgebench.stats.panel.game_panel`);
  the panel's two games of an item are then reconciled as any judge's are
  (both agree, else a tie);
- **single**: each answer turn's grade is the members' mean grade
  (:func:`~judgebench.stats.panel.grade_panel`), turned into a pair verdict
  with the stated tie threshold.

An item is the panel's only when every member gave a readable verdict in both
orders (pairwise) or graded both answers (single); the voted items some member
judged but the panel lacks are counted in the panel row's ``unreadable`` (never
dropped silently, never counted twice). The panel's spend is the sum of its
members'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from judgebench.errors import UsageError
from judgebench.pipeline.validation import (
    ValidateJob,
    Validation,
    compare_votes,
    validate_judge,
    validation_inputs,
)
from judgebench.pipeline.validation_votes import Item, judge_records, votes_of
from judgebench.records import Judgment, PairGame

__all__ = ["PanelValidation", "panel_spend", "validate_panel"]


@dataclass(frozen=True)
class PanelValidation:
    """A panel's comparison (JSON-able through :meth:`to_dict`).

    Attributes:
        judges: the members, in the order given.
        rows: each member's :class:`Validation` (what ``validate-judge -j member`` gives),
            then the panel's (judge ``panel``, its ``unreadable``: the voted items judged
            that the panel lacks).
        items / questions: the voted items (and their questions) any row covers.
        references: agreement rows (``who``: ``reference`` or ``humans``, then as
            :class:`judgebench.stats.agreement.Agreement` rows) of the reference judge
            with the humans and of the humans with each other, on those items.
    """

    judges: tuple[str, ...]
    rows: tuple[Validation, ...]
    items: int
    questions: int
    references: list[dict[str, Any]]

    @property
    def panel(self) -> Validation:
        """The panel's row."""
        return self.rows[-1]

    @property
    def mode(self) -> str:
        """``pairwise`` or ``single``."""
        return self.panel.mode

    @property
    def bench(self) -> str:
        """The bench holding the voted answers."""
        return self.panel.bench

    @property
    def reference(self) -> str:
        """The reference judge's name (``gpt4_pair``)."""
        return self.panel.reference

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``judges``, ``items``, ``questions``, ``references``, and ``rows`` (each a
        :meth:`Validation.to_dict`, the panel's last)."""
        return {
            "judges": list(self.judges),
            "mode": self.mode,
            "bench": self.bench,
            "reference": self.reference,
            "items": self.items,
            "questions": self.questions,
            "references": self.references,
            "rows": [row.to_dict() for row in self.rows],
        }


def panel_spend(members: Sequence[Validation]) -> dict[str, Any] | None:
    """The panel's spend: the sum of its members' (``runs``, ``calls``, tokens, ``cost_usd``).

    ``None`` when no member's runs are on record; ``cost_usd`` is ``None`` unless every
    member's is known (a partial sum would understate it).

    >>> m = lambda cost: Validation("j", "pairwise", "b", "g", 1, 1, [], None, None,
    ...     {"runs": 1, "calls": 4, "input_tokens": 10, "output_tokens": 2, "cost_usd": cost}, {})
    >>> panel_spend([m(0.5), m(0.25)])
    {'runs': 2, 'calls': 8, 'input_tokens': 20, 'output_tokens': 4, 'cost_usd': 0.75}
    >>> panel_spend([m(0.5), m(None)])["cost_usd"] is None
    True
    """
    spends = [m.spend for m in members if m.spend is not None]
    if not spends:
        return None
    total: dict[str, Any] = {k: sum(s[k] for s in spends) for k in ("runs", "calls", "input_tokens", "output_tokens")}
    costs = [s["cost_usd"] for s in spends]
    complete = len(spends) == len(members) and None not in costs
    total["cost_usd"] = sum(c for c in costs if c is not None) if complete else None
    return total


def _touched(records: Sequence[Judgment | PairGame], voted: set[Item]) -> set[Item]:
    """The voted items a member has any record on (a grade of either answer, either game)."""
    out: set[Item] = set()
    by_turn: dict[tuple[str, int], set[str]] = {}
    for r in records:
        if isinstance(r, PairGame):
            first, second = sorted((r.model_1, r.model_2))
            out.add((str(r.question_id), r.turn, first, second))
        else:
            by_turn.setdefault((str(r.question_id), r.turn), set()).add(r.model)
    return (out & voted) | {i for i in voted if by_turn.get((i[0], i[1]), set()) & {i[2], i[3]}}


def validate_panel(job: ValidateJob, judges: Sequence[str]) -> PanelValidation:
    """Compare each member and the panel of ``judges`` with the human votes, beside the reference and the humans.

    Args:
        job: what to compare (its ``judge`` is ignored: each member's records are read).
        judges: two members or more, each named once.

    Raises:
        UsageError: fewer than two judges; a member has no verdicts on the bench or none
            on a voted item; the members share no voted item with a verdict of each.
        DataError: a bad vote or judgment line (``file:line``).
    """
    from judgebench.stats import Bootstrap
    from judgebench.stats.agreement import agreement
    from judgebench.stats.panel import PANEL, game_panel, grade_panel
    from judgebench.stats.validation import item_of, on_items

    if len(judges) < 2:
        raise UsageError("a judge panel needs two judges or more — name each with --judge")
    humans, reference = validation_inputs(job)
    records = {j: judge_records(job.results_dir, job.bench, j, job.mode) for j in judges}
    members = [validate_judge(replace(job, judge=j), inputs=(humans, reference), records=records[j]) for j in judges]
    if job.mode == "single":
        pooled: list[Judgment] | list[PairGame] = grade_panel(
            {j: [r for r in records[j] if isinstance(r, Judgment)] for j in judges}
        ).judgments()
    else:
        pooled = game_panel({j: [r for r in records[j] if isinstance(r, PairGame)] for j in judges}).pair_games()
    mine, consistency = votes_of(pooled, PANEL, job.mode, job.tie_threshold)
    voted = {item_of(v) for v in humans}
    judged = set().union(*(_touched(records[j], voted) for j in judges))
    common = {item_of(v) for v in mine} & voted
    if not common:
        raise UsageError(
            f"the panel ({', '.join(judges)}): no voted item has a readable verdict of every judge — "
            "rerun with --retry-unparsed, or validate the judges one by one"
        )
    panel = compare_votes(job, PANEL, mine, humans, reference, consistency=consistency,
                          unreadable=len(judged - common), spend=panel_spend(members))  # fmt: skip
    union: set[Item] = set().union(*(m.covered for m in members), panel.covered)
    boot = Bootstrap(replicates=job.bootstrap, seed=job.seed)
    on_humans = on_items(humans, union)
    references: list[dict[str, Any]] = []
    for who, result in (
        ("reference", agreement(on_items(reference, union), on_humans, a=panel.reference, b="humans", bootstrap=boot)),
        ("humans", agreement(on_humans, None, a="humans", bootstrap=boot)),
    ):
        references += [{"who": who, **row} for row in result.rows]
    return PanelValidation(
        judges=tuple(judges),
        rows=(*members, panel),
        items=len(union),
        questions=len({i[0] for i in union}),
        references=references,
    )
