"""``agreement``: how often two judges — people or models — give the same verdict.

A judge is named by a *spec*:

- a name or glob pattern of the ``judge`` field of human votes (``--votes``
  files): ``expert_*`` is every expert, ``author_0`` one author, ``gpt4_pair``
  GPT-4's verdicts as published with the human votes;
- else a judge of the bench's judgments (``-q``): its pairwise comparisons
  (two games reconciled), or, when it has none, its single grades turned into
  verdicts (``--tie-threshold``); ``pair:NAME`` or ``single:NAME`` picks one.

Without ``-b`` the voters of ``-a`` are compared with each other
(human-vs-human). The figures come from :func:`judgebench.stats.agreement.agreement`,
whose docstring states the semantics (FastChat's ``compute_agreement.py``,
and where ours differs).
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from judgebench.errors import UsageError
from judgebench.records import HumanVote, Judgment, PairGame, counted
from judgebench.storage import DEFAULT_QUESTION_SET, load_judgments, load_pair_games, load_votes

if TYPE_CHECKING:
    from judgebench.presentation.report_format import Section

__all__ = [
    "AgreementJob",
    "AgreementResult",
    "agreement",
    "agreement_sections",
    "render_agreement_csv",
    "render_agreement_json",
    "render_agreement_markdown",
]


@dataclass(frozen=True)
class AgreementJob:
    """What ``agreement`` compares.

    Attributes:
        a: judge A's spec (see the module docs).
        b: judge B's spec; ``None``: A's voters with each other.
        votes: human-vote files (JSON, JSONL or CSV).
        questions: the bench whose judgments specs may name.
        results_dir: root of the results tree.
        tie_threshold: single grades: a pair differing by no more than this is a tie.
        inconsistent: our pairwise judges: two games that disagree count as a
            ``tie`` (FastChat) or are left out (``drop``).
        bootstrap: question-bootstrap replicates (0: no intervals).
        seed: the bootstrap's seed.
    """

    a: str
    b: str | None = None
    votes: tuple[Path, ...] = ()
    questions: str = DEFAULT_QUESTION_SET
    results_dir: Path = Path("results")
    tie_threshold: float = 0.0
    inconsistent: Literal["tie", "drop"] = "tie"
    bootstrap: int = 1000
    seed: int = 0


@dataclass(frozen=True)
class AgreementResult:
    """Agreement figures per turn and overall, and what they were computed from."""

    a: str
    b: str
    same_group: bool
    sources: dict[str, str]
    rows: list[dict[str, Any]]
    bootstrap: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "a": self.a,
            "b": self.b,
            "same_group": self.same_group,
            "sources": self.sources,
            "bootstrap": self.bootstrap,
            "turns": self.rows,
        }


class _Bench:
    """A bench's judgments by judge, loaded on first use."""

    def __init__(self, job: AgreementJob) -> None:
        self.job = job
        self._loaded: tuple[dict[str, list[Judgment]], dict[str, list[PairGame]]] | None = None
        self.missing: str | None = None
        """Why the bench could not be found, when it could not."""

    def load(self) -> tuple[dict[str, list[Judgment]], dict[str, list[PairGame]]]:
        if self._loaded is None:
            from judgebench.storage import resolve_bench

            singles: dict[str, list[Judgment]] = defaultdict(list)
            pairs: dict[str, list[PairGame]] = defaultdict(list)
            try:
                bench, _ = resolve_bench(self.job.questions, self.job.results_dir)
            except UsageError as exc:
                self.missing = f"bench {self.job.questions!r} not found ({exc})"
                self._loaded = (singles, pairs)
                return self._loaded
            folder = self.job.results_dir / bench / "judgments"
            if not folder.is_dir():
                self.missing = f"bench {bench!r} has no judgments in {folder} — run 'judgebench judge' first"
            for path in sorted(folder.glob("*_single.jsonl")):
                for j in load_judgments(path):
                    singles[j.judge].append(j)
            for path in sorted(folder.glob("*_pair.jsonl")):
                for g in load_pair_games(path):
                    pairs[g.judge].append(g)
            self._loaded = (singles, pairs)
        return self._loaded


def _resolve(spec: str, votes: Sequence[HumanVote], bench: _Bench, job: AgreementJob) -> tuple[list[HumanVote], str]:
    """The votes a spec names, and a line saying where they come from."""
    from judgebench import stats
    from judgebench.stats.agreement import votes_from_comparisons, votes_from_grades

    kind, _, name = spec.partition(":") if spec.startswith(("pair:", "single:")) else ("", "", spec)
    if not kind:
        chosen = [v for v in votes if fnmatch.fnmatchcase(v.judge, spec)]
        if chosen:
            voters = sorted({v.judge for v in chosen})
            return chosen, f"{counted(len(chosen), 'vote')} by {counted(len(voters), 'voter')} matching {spec!r}"
    singles, pairs = bench.load()
    # Votes carry the spec as their voter, so one judge's pairwise and single verdicts are two voters.
    if kind in ("", "pair") and pairs.get(name):
        comp = stats.comparisons(pairs[name])
        chosen = votes_from_comparisons(comp, spec, inconsistent=job.inconsistent)
        how = "counted as ties" if job.inconsistent == "tie" else "left out"
        return chosen, f"{len(chosen)} pairwise verdicts of {name} (games that disagree {how})"
    if kind in ("", "single") and singles.get(name):
        chosen = votes_from_grades(singles[name], spec, tie_threshold=job.tie_threshold)
        return (
            chosen,
            f"{counted(len(chosen), 'verdict')} from {name}'s single grades (tie when |Δ| ≤ {job.tie_threshold:g})",
        )
    have = sorted({v.judge for v in votes})
    listed = f"{', '.join(have[:12]) or 'none (pass --votes FILE)'}{' …' if len(have) > 12 else ''}"
    judges = sorted(set(singles) | set(pairs))
    if bench.missing is not None:
        raise UsageError(f"judge {spec!r}: no votes by it (voters: {listed}), and {bench.missing}")
    if kind and (singles.get(name) or pairs.get(name)):
        other = "single" if kind == "pair" else "pairwise"
        raise UsageError(f"judge {spec!r}: {name} has only {other} judgments in {job.questions}")
    raise UsageError(
        f"judge {spec!r}: no votes or judgments by it — voters: {listed}; judges of {job.questions}: "
        f"{', '.join(judges) or 'none'}"
    )


def agreement(job: AgreementJob) -> AgreementResult:
    """Compare two judges (or a group with itself).

    Raises:
        UsageError: a spec that names nothing; no shared items.
        DataError: a bad vote or judgment line (``file:line``).
    """
    from judgebench import stats
    from judgebench.stats.agreement import agreement as compute

    votes = [v for path in job.votes for v in load_votes(path)]
    bench = _Bench(job)
    votes_a, source_a = _resolve(job.a, votes, bench, job)
    same = job.b is None or job.b == job.a
    sources = {"a": source_a}
    votes_b = None
    if not same:
        assert job.b is not None
        votes_b, sources["b"] = _resolve(job.b, votes, bench, job)
    boot = stats.Bootstrap(replicates=job.bootstrap, seed=job.seed)
    result = compute(votes_a, votes_b, a=job.a, b=job.b or job.a, bootstrap=boot)
    if result.rows[-1]["n"] == 0:
        what = "two different voters of it" if same else "both"
        raise UsageError(f"no item (question, model pair, turn) was voted on by {what}: nothing to compare")
    info = {"replicates": boot.replicates, "seed": boot.seed, "level": boot.level, "unit": "question"}
    return AgreementResult(result.a, result.b, same, sources, result.rows, info if boot.replicates else None)


def render_agreement_json(result: AgreementResult) -> str:
    """The result as indented JSON."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_agreement_csv(result: AgreementResult) -> str:
    """One row per turn (then ``all``)."""
    buffer = io.StringIO()
    rows = [{"a": result.a, "b": result.b, **r} for r in result.rows]
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def agreement_sections(result: AgreementResult) -> list[Section]:
    """Two tables (with ties, without ties) and the notes saying what was compared."""
    from judgebench.presentation.report_format import Section

    title = f"agreement among {result.a}" if result.same_group else f"agreement: {result.a} vs {result.b}"
    keys = (
        "turn",
        "n_items",
        "n_questions",
        "n",
        "agree",
        "rate",
        "rate_lo",
        "rate_hi",
        "kappa",
        "kappa_lo",
        "kappa_hi",
    )
    with_ties = [{k: r[k] for k in keys} for r in result.rows]
    without = [
        {k: r[k if k in ("turn", "n_items", "n_questions") else f"{k.split('_')[0]}_no_tie{k[len(k.split('_')[0]):]}"]
         for k in keys}
        for r in result.rows
    ]  # fmt: skip
    notes = [f"{side}: {text}" for side, text in result.sources.items()]
    if result.bootstrap:
        b = result.bootstrap
        notes.append(
            f"[lo, hi]: {b['level']:.0%} percentile intervals, question-clustered bootstrap "
            f"({b['replicates']} replicates, seed {b['seed']})"
        )
    notes.append("n: vote pairs compared (each pair of a vote of one side with a vote of the other on the same item)")
    return [
        Section(f"{title} — with ties", with_ties),
        Section(f"{title} — without ties (pairs where neither said tie)", without, tuple(notes)),
    ]


def render_agreement_markdown(result: AgreementResult) -> str:
    """The result as Markdown."""
    from judgebench.presentation.report_format import markdown_table

    lines: list[str] = []
    for section in agreement_sections(result):
        lines += [f"## {section.title}", "", *markdown_table(section.rows)]
        lines += [f"{note}  " for note in section.notes]
    return "\n".join(lines) + "\n"
