"""The typed rows and sections of a report: what :func:`judgebench.pipeline.report.report` returns, field by field.

A table is a list of :data:`Row` (column → :data:`Cell`); its columns depend on the data (one
``category:<name>`` column per category, ``_lo``/``_hi`` after a figure when there are intervals), so a row
is a mapping, not a class. The structures around the tables are :class:`~typing.TypedDict`: at run time
they are the plain dicts the JSON output is written from, so typing them changes no byte of the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NotRequired, TypedDict

from judgebench.records import RunManifest
from judgebench.storage import DEFAULT_QUESTION_SET

__all__ = [
    "BiasReport",
    "Cell",
    "Figure",
    "IntervalInfo",
    "JudgeReport",
    "LengthControl",
    "PanelAgreement",
    "PanelSummary",
    "Ratings",
    "Report",
    "ReportJob",
    "Row",
    "SelfPreference",
    "VoteRatings",
    "maybe_number",
    "number",
    "whole",
]

Cell = str | int | float | bool | None
"""One value of a table: a name, a count, a figure (``None`` when it cannot be computed)."""

Row = dict[str, Cell]
"""One row of a table: column name → value, in column order (``x_lo``/``x_hi`` right after ``x``)."""

Figure = dict[str, Cell]
"""One diagnostic figure: ``n`` and its value (``rate``, ``spearman``, …) with ``lo``/``hi`` (``stats.bias``)."""


def maybe_number(value: Cell) -> float | None:
    """A figure of a table as a float, ``None`` when it is missing.

    >>> maybe_number(3), maybe_number(0.5), maybe_number(None)
    (3.0, 0.5, None)

    Raises:
        TypeError: the value is text or a flag, not a figure.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def number(value: Cell) -> float:
    """A figure of a table that must be there, as a float.

    Raises:
        TypeError: the value is missing, text or a flag.
    """
    figure = maybe_number(value)
    if figure is None:
        raise TypeError("expected a number, got None")
    return figure


def whole(value: Cell) -> int:
    """A count of a table (``n``, ``runs``, ``excluded``) as an int.

    >>> whole(3), whole(4.0)
    (3, 4)

    Raises:
        TypeError: the value is missing, text, a flag or not a whole number.
    """
    figure = number(value)
    if not figure.is_integer():
        raise TypeError(f"expected a whole number, got {value!r}")
    return int(figure)


class IntervalInfo(TypedDict):
    """How a report's intervals were drawn."""

    replicates: int
    """Bootstrap replicates."""
    seed: int
    """The bootstrap's seed."""
    level: float
    """Coverage of the percentile interval (0.95)."""
    unit: str
    """What is resampled: ``question`` (both games and turns of a question move together)."""


class Ratings(TypedDict):
    """Bradley–Terry ratings on the Elo scale (:func:`judgebench.stats.bradley_terry`)."""

    anchor: str | None
    """The model rated ``anchor_rating``."""
    anchor_rating: float
    comparisons: int
    """Comparisons (a tie is half a win) the ratings were fitted on."""
    questions: int
    replicates_unidentified: int
    """Bootstrap replicates without finite ratings, left out of the intervals."""
    note: str | None
    """Why the ratings are not identified, when they are not."""
    models: list[Row]
    """A row per model: ``rating`` (``_lo``/``_hi``) and ``rank`` (``rank_lo``/``rank_hi``), whole numbers."""


class VoteRatings(Ratings):
    """Ratings pooling every voter's votes (``voters``, ``n_voters`` and ``votes`` come first in the JSON form),
    with each voter's agreement with the others."""

    voters: str
    """Who voted: ``all``."""
    n_voters: int
    votes: int
    voter_agreement: list[Row]
    """A row per voter (:func:`judgebench.stats.voters.voter_agreement`)."""


class LengthControl(TypedDict):
    """The length-controlled win rate against a baseline (:func:`judgebench.stats.length.length_controlled`)."""

    baseline: str
    variant: str
    """The GLM fitted (AlpacaEval 2's)."""
    note: str | None
    models: list[Row]


class SelfPreference(TypedDict):
    """A judge's preference for its own family (:func:`judgebench.stats.bias.self_preference`)."""

    judge_family: str | None
    same_family_models: list[str]
    single: Figure | None
    """``gap``: own family's mean grade − the others', with ``lo``/``hi``, ``n_same``, ``n_other``."""
    pairwise: Figure | None
    """``win_rate_adjusted`` of the own family against the others, with ``lo``/``hi`` and ``n``."""


class BiasReport(TypedDict):
    """One judge's bias diagnostics (:mod:`judgebench.stats.bias`); the figures are absent without their data."""

    failures: dict[str, Figure]
    """``single``/``pair_games``: ``n``, ``unparsed``, ``failed``, their rates, ``truncated``."""
    position: NotRequired[dict[str, Figure]]
    """``consistency``, ``first_position_wins``, ``tie_rate_games``, ``tie_rate_comparisons``."""
    longer_wins: NotRequired[Figure]
    score_length: NotRequired[Figure]
    score_histogram: NotRequired[dict[str, int]]
    """Grades given, per bin ``k`` (``k ≤ grade < k+1``)."""
    self_preference: NotRequired[SelfPreference]
    """Always there once the report is made (set last, so that it comes last in the JSON form)."""


class PanelAgreement(TypedDict):
    """The panel's agreement in one mode: Krippendorff's alpha over every judge, and each judge against the rest."""

    items: NotRequired[int]
    """Single grades: the (question, model, turn) items every judge graded."""
    games: NotRequired[int]
    """Pairwise: the games every judge gave a verdict on."""
    left_out: int
    level: str
    """``interval`` (grades) or ``nominal`` (verdicts)."""
    alpha: float | None
    alpha_lo: float | None
    alpha_hi: float | None
    judge_vs_others: list[Row]
    """A row per judge: ``judge``, ``n``, ``alpha`` against the others' panel (pairwise: ``agree``, a share)."""


class PanelSummary(TypedDict):
    """``report --panel``: the judge panel's agreement, rank stability and self-preference.

    The fields are :func:`judgebench.stats.panel.panel_summary`'s (its docstring gives each one).
    """

    judges: list[str]
    single: PanelAgreement | None
    pairwise: PanelAgreement | None
    rank_stability: list[Row]
    self_preference: list[dict[str, Cell | list[str]]]
    """A row per judge and mode; ``models``: the judged models of the judge's family."""


@dataclass(frozen=True)
class ReportJob:
    """What ``report`` reads, and which figures it computes.

    Attributes:
        questions: the question set (its name is the bench), or the name of a
            bench folder in the results dir (e.g. one made by ``import fastchat``).
        results_dir: root of the results tree.
        judges: only these judges (default: every judge with judgments).
        baseline: pairwise: count only comparisons with this model. Default:
            the model every comparison involves, when there is one and more
            than two models; else every pair.
        models: only these judged models.
        bootstrap: question-bootstrap replicates for the intervals (0: none).
        seed: the bootstrap's seed.
        bias: add the bias diagnostics.
        ratings: add Bradley–Terry ratings (from pairwise judgments and votes).
        length_control: add the length-controlled win rate against the baseline.
        anchor: the model rated 1000 (default: the baseline, else the most compared).
        votes: files of human votes (MT-Bench human-judgment format) to rate models by.
        relative_to: add each model's total single grade as a percentage of
            this model's total over the same (question, turn) items, with an interval.
        tie_threshold: paired scoring: averaged scores at most this many points apart are a tie.
        strong_weight: count a win with a strong verdict (``[[A>>B]]``) this many times
            in win rates, their intervals and ratings (Arena-Hard uses 3); consistency
            is never weighted.
        panel: pool the reported judges into one more judge, ``panel`` (mean grade,
            majority verdict), and add the panel section: agreement, rank
            stability, self-preference (:mod:`judgebench.pipeline.panel`).
    """

    questions: str = DEFAULT_QUESTION_SET
    results_dir: Path = Path("results")
    judges: tuple[str, ...] = ()
    baseline: str | None = None
    models: tuple[str, ...] = ()
    bootstrap: int = 1000
    seed: int = 0
    bias: bool = False
    ratings: bool = False
    length_control: bool = False
    anchor: str | None = None
    votes: tuple[Path, ...] = ()
    relative_to: str | None = None
    tie_threshold: float = 0.0
    strong_weight: int = 1
    panel: bool = False


@dataclass(frozen=True, kw_only=True)
class JudgeReport:
    """One judge's tables (as JSON-able rows; a figure ``x`` has its interval in ``x_lo``/``x_hi``)."""

    judge: str
    single: list[Row] = field(default_factory=list)
    """A row per model: mean grade ``overall`` (``_lo``/``_hi``), per turn, per ``category:<name>``, counts."""
    pairwise: list[Row] = field(default_factory=list)
    """A row per model: wins, losses, ties and win rates against ``baseline`` (or every other model)."""
    consistency: list[Row] = field(default_factory=list)
    """The judge's position consistency: the share of comparisons whose two games agree."""
    baseline: str | None = None
    pair_comparisons: int = 0
    pair_excluded: int = 0
    ratings: Ratings | None = None
    length_control: LengthControl | None = None
    bias: BiasReport | None = None
    relative_to: str | None = None
    """The model the single table's ``relative_pct`` is a percentage of (``report --relative-to``)."""
    pair_score: list[Row] = field(default_factory=list)
    """Paired scoring's Vicuna table, a row per (baseline, model): :func:`judgebench.stats.paired.paired_table`."""
    pairwise_breakdown: list[Row] = field(default_factory=list)
    """Adjusted win rate per turn and per category, per model (``stats.breakdown.pairwise_breakdown``)."""
    coverage: dict[str, str] = field(default_factory=dict)
    """``single``/``pairwise``: a note when the models were judged on different numbers of questions."""


@dataclass(frozen=True)
class Report:
    """Every judge's tables for one bench.

    Attributes:
        bench: the bench name.
        judges: each judge's tables.
        bootstrap: how the intervals were drawn (``replicates``, ``seed``,
            ``level``, ``unit``), or ``None`` without intervals.
        vote_ratings: Bradley–Terry ratings pooling every voter's votes (one entry), with each
            voter's count and agreement with the others (``voter_agreement``).
        injection_flags: answers with verdict-like text aimed at the judge (with ``bias``).
        notes: what could not be computed, and why.
    """

    bench: str
    judges: tuple[JudgeReport, ...]
    warnings: tuple[str, ...] = ()
    runs: tuple[RunManifest, ...] = ()
    """The latest run manifest of each model's answers and each judge."""
    bootstrap: IntervalInfo | None = None
    vote_ratings: tuple[VoteRatings, ...] = ()
    injection_flags: tuple[Row, ...] | None = None
    notes: tuple[str, ...] = ()
    tie_threshold: float = 0.0
    """Paired scoring: averaged scores at most this many points apart were counted a tie."""
    spend: tuple[Row, ...] = ()
    """Calls, tokens and dollars per answering model and per judge, summed over every run (``spend_totals``)."""
    panel: PanelSummary | None = None
    """``report --panel``: the panel's agreement, rank stability and self-preference
    (:func:`judgebench.stats.panel.panel_summary`); the panel's tables are the judge ``panel``'s."""

    def to_dict(self) -> dict[str, object]:
        """The JSON form (``report -f json``)."""
        judges = []
        for j in self.judges:
            entry: dict[str, object] = {
                "judge": j.judge,
                "single": j.single,
                "pairwise": {
                    "baseline": j.baseline,
                    "comparisons": j.pair_comparisons,
                    "excluded": j.pair_excluded,
                    "models": j.pairwise,
                    "consistency": j.consistency,
                    "breakdown": j.pairwise_breakdown,
                },
            }
            if j.pair_score:
                entry["pair_score"] = {"tie_threshold": self.tie_threshold, "models": j.pair_score}
            if j.coverage:
                entry["coverage"] = dict(j.coverage)
            optional: dict[str, object] = {"relative_to": j.relative_to, "ratings": j.ratings}
            optional["length_control"] = j.length_control
            optional["bias"] = j.bias
            entry |= {key: value for key, value in optional.items() if value is not None}
            judges.append(entry)
        out: dict[str, object] = {
            "bench": self.bench,
            "warnings": list(self.warnings),
            "runs": [m.to_dict() for m in self.runs],
            "spend": list(self.spend),
            "bootstrap": self.bootstrap,
            "judges": judges,
        }
        if self.vote_ratings:
            out["vote_ratings"] = list(self.vote_ratings)
        if self.injection_flags is not None:
            out["injection_flags"] = list(self.injection_flags)
        if self.notes:
            out["notes"] = list(self.notes)
        if self.panel is not None:
            out["panel"] = self.panel
        return out
