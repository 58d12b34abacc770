"""``report``: load a bench's judgments and turn them into tables, per judge.

The numbers come from :mod:`judgebench.stats` (FastChat ``show_result.py``
semantics); this module finds the files, groups records by judge, and writes
the tables as JSON, CSV or Markdown text. The CLI draws the same rows with rich.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from judgebench.errors import UsageError
from judgebench.pipeline.panel import PANEL, add_panel
from judgebench.pipeline.provenance import comparability_warnings, latest_runs, spend_totals
from judgebench.pipeline.staleness import current_answers, drop_stale, drop_stale_games
from judgebench.records import HumanVote, Judgment, PairScore, RunManifest, counted
from judgebench.storage import (
    DEFAULT_QUESTION_SET,
    load_answers,
    load_game_table,
    load_judgments,
    load_manifests,
    load_pair_scores,
    load_votes,
    resolve_bench,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["JudgeReport", "Report", "ReportJob", "report"]


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


@dataclass(frozen=True)
class JudgeReport:
    """One judge's tables (as JSON-able rows; a figure ``x`` has its interval in ``x_lo``/``x_hi``)."""

    judge: str
    single: list[dict[str, Any]] = field(default_factory=list)
    pairwise: list[dict[str, Any]] = field(default_factory=list)
    consistency: list[dict[str, Any]] = field(default_factory=list)
    baseline: str | None = None
    pair_comparisons: int = 0
    pair_excluded: int = 0
    ratings: dict[str, Any] | None = None
    length_control: dict[str, Any] | None = None
    bias: dict[str, Any] | None = None
    relative_to: str | None = None
    """The model the single table's ``relative_pct`` is a percentage of (``report --relative-to``)."""
    pair_score: list[dict[str, Any]] = field(default_factory=list)
    """Paired scoring's Vicuna table, a row per (baseline, model): :func:`judgebench.stats.paired.paired_table`."""
    pairwise_breakdown: list[dict[str, Any]] = field(default_factory=list)
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
    bootstrap: dict[str, Any] | None = None
    vote_ratings: tuple[dict[str, Any], ...] = ()
    injection_flags: tuple[dict[str, Any], ...] | None = None
    notes: tuple[str, ...] = ()
    tie_threshold: float = 0.0
    """Paired scoring: averaged scores at most this many points apart were counted a tie."""
    spend: tuple[dict[str, Any], ...] = ()
    """Calls, tokens and dollars per answering model and per judge, summed over every run (``spend_totals``)."""
    panel: dict[str, Any] | None = None
    """``report --panel``: the panel's agreement, rank stability and self-preference
    (:func:`judgebench.stats.panel_agreement.panel_summary`); the panel's tables are the judge ``panel``'s."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        judges = []
        for j in self.judges:
            entry: dict[str, Any] = {
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
            for key in ("relative_to", "ratings", "length_control", "bias"):
                if getattr(j, key) is not None:
                    entry[key] = getattr(j, key)
            judges.append(entry)
        out: dict[str, Any] = {
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


def _auto_baseline(games: pd.DataFrame) -> str | None:
    import numpy as np

    from judgebench.stats.games import model_codes

    first, second, names = model_codes(games)
    codes = np.unique(first * len(names) + second)
    pairs = {(names[c // len(names)], names[c % len(names)]) for c in codes.tolist()}
    models = {m for pair in pairs for m in pair}
    common = set.intersection(*(set(p) for p in pairs)) if pairs else set()
    return next(iter(common)) if len(common) == 1 and len(models) > 2 else None


def _pair_tables(tables: list[pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every file's game table joined, split by judge (rows in file order)."""
    from judgebench.stats.games import concat_game_tables

    frame = concat_game_tables(tables)
    if not len(frame):
        return {}
    return {str(judge): part.reset_index(drop=True) for judge, part in frame.groupby("judge", observed=True, sort=True)}


def _with_intervals(rows: list[dict[str, Any]], intervals: Any, key: str) -> list[dict[str, Any]]:
    """Put each figure's ``_lo``/``_hi`` columns right after it."""
    from judgebench import stats

    if intervals is None or intervals.empty:
        return rows
    extra = {r[key]: r for r in stats.to_records(intervals)}
    out = []
    for row in rows:
        bounds = extra.get(row[key], {})
        merged: dict[str, Any] = {}
        for k, v in row.items():
            merged[k] = v
            if f"{k}_lo" in bounds:
                merged[f"{k}_lo"], merged[f"{k}_hi"] = bounds[f"{k}_lo"], bounds[f"{k}_hi"]
        out.append(merged)
    return out


@dataclass
class _Answers:
    """Answer lengths (characters) and texts by (model, question id, turn)."""

    lengths: dict[tuple[str, str, int], int]
    texts: dict[tuple[str, str, int], str]


def _load_answers(folder: Path) -> _Answers:
    lengths: dict[tuple[str, str, int], int] = {}
    texts: dict[tuple[str, str, int], str] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for qid, answer in load_answers(path).items():
            if answer.status != "ok" or not answer.choices:
                continue
            for turn, text in enumerate(answer.choices[0].turns, start=1):
                lengths[(answer.model_id, qid, turn)] = len(text)
                texts[(answer.model_id, qid, turn)] = text
    return _Answers(lengths, texts)


def _ratings_dict(result: Any) -> dict[str, Any]:
    from judgebench import stats

    rows = stats.to_records(result.table)
    for row in rows:
        for key in ("rank", "rank_lo", "rank_hi"):
            if row[key] is not None:
                row[key] = int(row[key])
    return {
        "anchor": result.anchor,
        "anchor_rating": result.anchor_rating,
        "comparisons": result.n_comparisons,
        "questions": result.n_questions,
        "replicates_unidentified": result.n_unidentified,
        "note": result.note,
        "models": rows,
    }


def _bias(
    judge: str, singles: list[Judgment], games: pd.DataFrame, answers: _Answers | None, boot: Any
) -> dict[str, Any]:
    from judgebench import stats
    from judgebench.stats import bias

    comp = stats.comparisons(games) if len(games) else None
    lengths = answers.lengths if answers is not None else {}
    out: dict[str, Any] = {"failures": bias.failure_rates(singles, games)}
    if comp is not None:
        out["position"] = bias.position_bias(games, comp, boot)
        out["longer_wins"] = bias.length_preference(comp, lengths, boot)
    if singles:
        out["score_length"] = bias.score_length_correlation(singles, lengths, boot)
        out["score_histogram"] = bias.score_histogram(singles)
    out["self_preference"] = bias.self_preference(judge, singles, comp, boot)
    return out


def _judge_report(
    job: ReportJob,
    judge: str,
    singles: list[Judgment],
    pairs: pd.DataFrame,
    categories: dict[str, str],
    answers: _Answers | None,
    boot: Any,
    notes: list[str],
    scores: Sequence[PairScore] = (),
) -> JudgeReport:
    """One judge's tables, intervals, and the figures the job asks for."""
    from judgebench import stats

    wanted = set(job.models)
    single_rows: list[dict[str, Any]] = []
    rows = [j for j in singles if not wanted or j.model in wanted]
    if rows:
        single_rows = stats.to_records(stats.single_table(rows, categories))
        single_rows = _with_intervals(single_rows, stats.single_intervals(rows, categories, boot), "model")
        if job.relative_to is not None:
            single_rows = _with_relative(single_rows, singles, job.relative_to, judge, boot)  # even if not in --models
    pair_rows: list[dict[str, Any]] = []
    consistency: list[dict[str, Any]] = []
    baseline, comparisons, excluded = None, 0, 0
    ratings: dict[str, Any] | None = None
    length: dict[str, Any] | None = None
    breakdown: list[dict[str, Any]] = []
    games = pairs
    if wanted:
        allowed = wanted | {job.baseline}
        games = pairs[pairs["model_1"].isin(allowed) & pairs["model_2"].isin(allowed)].reset_index(drop=True)
    if len(games):
        baseline = job.baseline or _auto_baseline(games)
        table = stats.pairwise_table(games, baseline, job.strong_weight)
        plain = stats.comparisons(games, baseline)
        comp = plain.weighted(job.strong_weight)
        model_iv, judge_iv = stats.pairwise_intervals(comp, baseline, boot)
        if comp is not plain:  # consistency is never weighted
            judge_iv = stats.pairwise_intervals(plain, baseline, boot)[1]
        pair_rows = _with_intervals(stats.to_records(table), model_iv, "model")
        consistency = _with_intervals(stats.to_records(table.consistency), judge_iv, "judge")
        from judgebench.stats.breakdown import pairwise_breakdown

        breakdown = stats.to_records(pairwise_breakdown(comp, categories, baseline=baseline, bootstrap=boot))
        comparisons, excluded = table.n_comparisons, table.n_excluded
        if job.ratings:
            ratings = _ratings_dict(_rate(comp, job.anchor or baseline, boot, f"judge {judge}"))
        if job.length_control and baseline is None:
            notes.append(f"{judge}: length control needs a baseline — pass --baseline MODEL")
        elif job.length_control and baseline is not None:
            from judgebench.stats.length import length_controlled

            lc = length_controlled(comp, answers.lengths if answers else {}, baseline, bootstrap=boot)
            length = {"baseline": lc.baseline, "variant": lc.variant, "note": lc.note}
            length |= {"models": stats.to_records(lc.table)}
    bias = _bias(judge, rows, games, answers, boot) if job.bias else None
    coverage = _coverage(rows, games if pair_rows else None, baseline)
    return JudgeReport(
        judge,
        single_rows,
        pair_rows,
        consistency,
        baseline,
        comparisons,
        excluded,
        ratings,
        length,
        bias,
        job.relative_to if single_rows and job.relative_to is not None else None,
        _pair_score_rows(job, scores, boot),
        breakdown,
        coverage,
    )


def _coverage(singles: Sequence[Judgment], games: pd.DataFrame | None, baseline: str | None) -> dict[str, str]:
    """The :func:`coverage_note` of the single grades (``single``) and of the pair games (``pairwise``)."""
    coverage: dict[str, str] = {}
    graded: dict[str, set[str]] = defaultdict(set)
    for j in singles:
        if j.status == "ok" and j.score is not None:
            graded[j.model].add(str(j.question_id))
    if note := coverage_note(graded, "graded"):
        coverage["single"] = note
    if games is not None and len(games):
        ok = games[games["status"] == "ok"]
        compared: dict[str, set[str]] = defaultdict(set)
        for side in ("model_1", "model_2"):
            for model, qid in zip(ok[side].astype(str), ok["qid"].astype(str), strict=True):
                if model != baseline:
                    compared[model].add(qid)
        if note := coverage_note(compared, "compared"):
            coverage["pairwise"] = note
    return coverage


def coverage_note(questions: Mapping[str, set[str]], verb: str) -> str | None:
    """A note when the models' figures stand on different numbers of questions, else ``None``.

    Args:
        questions: model → the questions it has a verdict on.
        verb: what was done to the models (``graded``, ``compared``).

    >>> coverage_note({"a": {"1", "2", "3"}, "b": {"1"}, "c": {"1", "2", "3"}}, "graded")[:60]
    'partial coverage: b graded on 1 question, the others on 3 — '
    >>> coverage_note({"a": {"1"}, "b": {"2"}}, "graded") is None  # same count: nothing to flag
    True
    """
    if len(questions) < 2:
        return None
    most = max(len(q) for q in questions.values())
    short = sorted((m, len(q)) for m, q in questions.items() if len(q) < most)
    if not short:
        return None
    named = ", ".join(f"{m} {verb} on {counted(n, 'question')}" for m, n in short)
    whose = "its" if len(short) == 1 else "their"
    return (
        f"partial coverage: {named}, the others on {most} — {whose} figures stand on fewer questions; "
        "judge the missing ones for a like-for-like table"
    )


def _pair_score_rows(job: ReportJob, scores: Sequence[PairScore], boot: Any) -> list[dict[str, Any]]:
    """The Vicuna table of one judge's paired-scoring games.

    The baseline of a pair is ``job.baseline`` when it is one of the two; else the
    model every pair involves, when there is exactly one; else ``model_1`` (the
    baseline's place in pairwise ``judge --baseline`` records).
    """
    from judgebench.stats.paired import ScoredGame, paired_table

    wanted = set(job.models)
    kept = [s for s in scores if not wanted or {s.model_1, s.model_2} <= wanted | {job.baseline}]
    pairs = {frozenset((s.model_1, s.model_2)) for s in kept}
    common = frozenset.intersection(*pairs) if pairs else frozenset()
    games = []
    for s in kept:
        ok = s.status == "ok"
        first, second = (s.score_1, s.score_2) if ok else (None, None)
        if job.baseline in (s.model_1, s.model_2):
            baseline = job.baseline
        else:
            baseline = next(iter(common)) if len(common) == 1 else s.model_1
        if baseline == s.model_1:  # the baseline was shown as A in game 1: the model is A in game 2
            game: Literal[1, 2] = 2 if s.game == 1 else 1
            games.append(ScoredGame(s.question_id, s.turn, s.model_1, s.model_2, game, second, first))
        else:
            games.append(ScoredGame(s.question_id, s.turn, s.model_2, s.model_1, s.game, first, second))
    return paired_table(games, job.tie_threshold, boot) if games else []


def _with_relative(
    rows: list[dict[str, Any]], grades: list[Judgment], reference: str, judge: str, boot: Any
) -> list[dict[str, Any]]:
    """Add ``relative_total``, ``reference_total``, ``relative_pct`` (``_lo``/``_hi``) and ``relative_n`` to each row.

    ``relative_total`` is the model's total over the ``relative_n`` items both were graded on (``total``
    stays the sum of all the model's grades).

    Raises:
        UsageError: ``reference`` has no single grade by ``judge``.
    """
    from judgebench.stats.relative import relative_totals

    totals = relative_totals(grades, reference, boot)
    if not totals:
        have = ", ".join(sorted({j.model for j in grades if j.status == "ok" and j.score is not None}))
        raise UsageError(f"--relative-to {reference}: no single grades of it by {judge}; graded: {have}")
    out = []
    for row in rows:
        r = totals.get(row["model"])
        extra: dict[str, Any] = {"relative_total": None, "reference_total": None, "relative_pct": None}
        if r is not None:
            extra = {"relative_total": r.total, "reference_total": r.reference_total, "relative_pct": r.pct}
        if boot.replicates:
            extra |= {"relative_pct_lo": r.pct_lo if r else None, "relative_pct_hi": r.pct_hi if r else None}
        extra["relative_n"] = r.n if r else 0
        out.append(row | extra)
    return out


def _vote_ratings(job: ReportJob, votes: list[HumanVote], boot: Any, notes: list[str]) -> list[dict[str, Any]]:
    """One Bradley–Terry table pooling every voter's votes, with each voter's count and agreement with the rest.

    Returns a one-element list (``[]`` without ``--ratings``): the ratings
    dict plus ``voters`` (``"all"``), ``n_voters``, ``votes`` and
    ``voter_agreement`` (rows of :func:`judgebench.stats.voters.voter_agreement`).
    """
    from judgebench import stats
    from judgebench.stats.voters import voter_agreement

    if not job.ratings:
        notes.append("--votes are used by --ratings; add --ratings to rate models by them")
        return []
    wanted = set(job.models)
    pooled = [v for v in votes if not wanted or {v.model_a, v.model_b} <= wanted]
    if not pooled:
        notes.append(f"--votes: no votes between the models asked for ({', '.join(job.models)})")
        return []
    outcomes = stats.outcomes_from_votes(pooled)
    anchor = job.anchor if job.anchor in outcomes.models else job.baseline
    result = _rate(outcomes, anchor if anchor in outcomes.models else None, boot, "the pooled votes")
    agreement = voter_agreement(pooled, bootstrap=boot)
    chance = [row["voter"] for row in agreement if row["at_chance"] and not row["reversed"]]
    flipped = [row["voter"] for row in agreement if row["reversed"]]
    if flipped:
        notes.append(
            f"{len(flipped)} of {counted(len(agreement), 'voter')} mostly vote against the others' ratings "
            f"(reversed: a swapped button or a contrarian): "
            f"{', '.join(flipped[:10])}{' …' if len(flipped) > 10 else ''}"
        )
    if chance:
        notes.append(
            f"{len(chance)} of {counted(len(agreement), 'voter')} agree with the others' ratings no better than chance "
            f"(or have too few votes to tell): {', '.join(chance[:10])}{' …' if len(chance) > 10 else ''}"
        )
    return [
        {
            "voters": "all",
            "n_voters": len(agreement),
            "votes": len(pooled),
            **_ratings_dict(result),
            "voter_agreement": agreement,
        }
    ]


def report(job: ReportJob) -> Report:
    """Read a bench's judgments and compute each judge's tables, intervals and the figures asked for.

    Raises:
        UsageError: no judgments, or none from the judges asked for; a bad
            ``--anchor``; a negative ``--tie-threshold``.
        DataError: a bad judgment, answer or vote line (``file:line``).
    """
    from judgebench import stats  # pandas: only when a report is made
    from judgebench.records.columns import game_frame

    if job.tie_threshold < 0:
        raise UsageError(f"--tie-threshold {job.tie_threshold}: must be 0 or more points")
    bench, qset = resolve_bench(job.questions, job.results_dir)
    categories = {str(q.question_id): q.category for q in qset.questions} if qset else {}
    folder = job.results_dir / bench / "judgments"
    singles: dict[str, list[Judgment]] = defaultdict(list)
    warnings: list[str] = []
    for path in sorted(folder.glob("*_single.jsonl")):
        for j in load_judgments(path, warn=warnings.append):
            singles[j.judge].append(j)
    pairs = _pair_tables([load_game_table(p, warn=warnings.append) for p in sorted(folder.glob("*_pair.jsonl"))])
    scores: dict[str, list[PairScore]] = defaultdict(list)
    for path in sorted(folder.glob("*_pairscore.jsonl")):
        for s in load_pair_scores(path, warn=warnings.append):
            scores[s.judge].append(s)
    _drop_stale(job, bench, singles, pairs, warnings, scores)
    votes = [v for path in job.votes for v in load_votes(path)]
    judges = sorted(set(singles) | set(pairs) | set(scores))
    if not judges and not votes:
        who = f"--judge {', '.join(job.judges)}: " if job.judges else ""
        raise UsageError(f"{who}no judgments in {folder} (bench {bench!r}) — run 'judgebench judge' first")
    named = tuple(j for j in job.judges if j != PANEL)  # --judge panel: the panel of the others named (or all)
    if named:
        missing = [j for j in named if j not in judges]
        if missing:
            raise UsageError(f"--judge {', '.join(missing)}: no judgments by it; have: {', '.join(judges)}")
        judges = [j for j in judges if j in named]
    _check_compared_with(job, judges, singles, pairs, scores, votes)
    boot = stats.Bootstrap(replicates=job.bootstrap, seed=job.seed)
    answers = None
    if job.bias or job.length_control:
        answers = _load_answers(job.results_dir / bench / "answers")
    notes: list[str] = []
    panel = None
    if job.panel or PANEL in job.judges:
        panel = add_panel(judges, singles, pairs, boot, notes, job.models, job.baseline, scores)
    no_games = game_frame([])
    out = [
        _judge_report(
            job,
            judge,
            singles[judge],
            pairs.get(judge, no_games),
            categories,
            answers,
            boot,
            notes,
            scores[judge],
        )
        for judge in judges
    ]
    vote_ratings = _vote_ratings(job, votes, boot, notes) if votes else []
    flags = None
    if job.bias and answers is not None:
        from judgebench.stats.bias import injection_flags

        flags = tuple(injection_flags(answers.texts))
        if not answers.texts:
            notes.append("no answers found: length and injection diagnostics need results/<bench>/answers/")
    info = None
    if boot.replicates:
        info = {"replicates": boot.replicates, "seed": boot.seed, "level": boot.level, "unit": "question"}
    manifests = load_manifests(job.results_dir, bench)
    runs = latest_runs(manifests)
    warnings += [f"not comparable: {w}" for w in comparability_warnings(runs)]
    return Report(
        bench=bench,
        judges=tuple(out),
        warnings=tuple(warnings),
        runs=tuple(runs),
        bootstrap=info,
        vote_ratings=tuple(vote_ratings),
        injection_flags=flags,
        notes=tuple(notes),
        tie_threshold=job.tie_threshold,
        spend=tuple(spend_totals(manifests)),
        panel=panel,
    )


def _check_compared_with(
    job: ReportJob,
    judges: Sequence[str],
    singles: Mapping[str, Sequence[Judgment]],
    pairs: Mapping[str, pd.DataFrame],
    scores: Mapping[str, Sequence[PairScore]],
    votes: Sequence[HumanVote],
) -> None:
    """Refuse a ``--baseline`` or ``--relative-to`` that nothing of the report can be compared with.

    Raises:
        UsageError: ``--baseline`` is in no pairwise game, paired-scoring game or vote
            of the report; or ``--relative-to`` is given and no reported judge has single
            grades (either would otherwise be ignored without a word).
    """
    if job.relative_to is not None and not any(singles.get(j) for j in judges):
        raise UsageError(
            f"--relative-to {job.relative_to}: no single grades to take percentages of (judged by "
            f"{', '.join(judges) or 'none'}) — judge with --mode single, or read paired scoring's relative_pct"
        )
    if job.baseline is None:
        return
    compared: set[str] = set()
    for judge in judges:
        games = pairs.get(judge)
        if games is not None and len(games):
            compared.update(games["model_1"].astype(str), games["model_2"].astype(str))
        for s in scores.get(judge, ()):
            compared.update((s.model_1, s.model_2))
    for v in votes:
        compared.update((v.model_a, v.model_b))
    if job.baseline not in compared:
        have = ", ".join(sorted(compared)) or "none — no pairwise or paired-scoring judgments to compare with it"
        raise UsageError(
            f"--baseline {job.baseline}: no pairwise or paired-scoring judgment compares it; compared: {have}"
        )


def _drop_stale(
    job: ReportJob,
    bench: str,
    singles: dict[str, list[Judgment]],
    pairs: dict[str, pd.DataFrame],
    warnings: list[str],
    scores: dict[str, list[PairScore]] | None = None,
) -> None:
    """Keep each record's latest verdict, and of those only verdicts of the current answers; warn of the rest."""
    from judgebench import stats
    from judgebench.stats.games import latest_game_table

    current = current_answers(job.results_dir / bench / "answers", warnings.append)
    for judge in sorted(set(singles) | set(pairs)):
        singles[judge], stale_single = drop_stale(stats.latest_judgments(singles[judge]), current)
        if judge in pairs:
            pairs[judge], stale_pair = drop_stale_games(latest_game_table(pairs[judge]), current)
        else:
            stale_pair = 0
        refresh = f"judgebench judge -j {judge} -q {job.questions}"
        for count, what, how in (
            (stale_single, "single grades", f"'{refresh}'"),
            (stale_pair, "pair games", f"'{refresh} --mode pairwise' with the same --baseline or --all-pairs"),
        ):
            if count:
                warnings.append(
                    f"{judge}: {count} {what} judge answers regenerated since and are left out — refresh them "
                    f"with {how}"
                )
    for judge, records in (scores or {}).items():
        kept = [r for r in records if not current.is_stale(r)]
        if len(kept) < len(records):
            refresh = f"judgebench judge -j {judge} -q {job.questions} --mode pair-score"
            warnings.append(
                f"{judge}: {len(records) - len(kept)} pair scores judge answers regenerated since and are left out "
                f"— refresh them with '{refresh}' with the same --baseline or --all-pairs"
            )
        records[:] = kept


def _rate(outcomes: Any, anchor: str | None, boot: Any, what: str) -> Any:
    from judgebench import stats

    if isinstance(outcomes, stats.Comparisons):
        outcomes = stats.outcomes_from_comparisons(outcomes)
    if anchor is not None and anchor not in outcomes.models:
        raise UsageError(f"--anchor {anchor}: not among the models rated by {what}: {', '.join(outcomes.models)}")
    return stats.bradley_terry(outcomes, anchor=anchor, bootstrap=boot)
