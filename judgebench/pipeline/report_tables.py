"""One judge's report tables: the :mod:`judgebench.stats` figures as typed rows, with intervals and notes.

:func:`judge_report` builds a :class:`~judgebench.pipeline.report_rows.JudgeReport` from one judge's
records; :func:`vote_ratings` rates models by human votes. Loading and selecting the records is
:mod:`judgebench.pipeline.report`'s job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

from judgebench.errors import UsageError
from judgebench.pipeline.report_rows import (
    BiasReport,
    JudgeReport,
    LengthControl,
    Ratings,
    ReportJob,
    Row,
    SelfPreference,
    VoteRatings,
)
from judgebench.records import HumanVote, Judgment, PairScore, counted

if TYPE_CHECKING:
    import pandas as pd

    from judgebench.stats import Bootstrap, Comparisons
    from judgebench.stats.ratings import Outcomes
    from judgebench.stats.ratings import Ratings as BTRatings

__all__ = ["AnswerTexts", "coverage_note", "judge_report", "vote_ratings"]


@dataclass
class AnswerTexts:
    """Answer lengths (characters) and texts by (model, question id, turn)."""

    lengths: dict[tuple[str, str, int], int]
    texts: dict[tuple[str, str, int], str]


def _auto_baseline(games: pd.DataFrame) -> str | None:
    import numpy as np

    from judgebench.stats.games import model_codes

    first, second, names = model_codes(games)
    codes = np.unique(first * len(names) + second)
    pairs = {(names[c // len(names)], names[c % len(names)]) for c in codes.tolist()}
    models = {m for pair in pairs for m in pair}
    common = set.intersection(*(set(p) for p in pairs)) if pairs else set()
    return next(iter(common)) if len(common) == 1 and len(models) > 2 else None


def _with_intervals(rows: list[Row], intervals: pd.DataFrame | None, key: str) -> list[Row]:
    """Put each figure's ``_lo``/``_hi`` columns right after it."""
    from judgebench import stats

    if intervals is None or intervals.empty:
        return rows
    extra = {r[key]: r for r in stats.to_records(intervals)}
    out = []
    for row in rows:
        bounds = extra.get(row[key], {})
        merged: Row = {}
        for k, v in row.items():
            merged[k] = v
            if f"{k}_lo" in bounds:
                merged[f"{k}_lo"], merged[f"{k}_hi"] = bounds[f"{k}_lo"], bounds[f"{k}_hi"]
        out.append(merged)
    return out


def _ratings_dict(result: BTRatings) -> Ratings:
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
    judge: str, singles: list[Judgment], games: pd.DataFrame, answers: AnswerTexts | None, boot: Bootstrap
) -> BiasReport:
    from judgebench import stats
    from judgebench.stats import bias

    comp = stats.comparisons(games) if len(games) else None
    lengths = answers.lengths if answers is not None else {}
    out = BiasReport(failures=bias.failure_rates(singles, games))
    if comp is not None:
        out["position"] = bias.position_bias(games, comp, boot)
        out["longer_wins"] = bias.length_preference(comp, lengths, boot)
    if singles:
        out["score_length"] = bias.score_length_correlation(singles, lengths, boot)
        out["score_histogram"] = bias.score_histogram(singles)
    out["self_preference"] = cast("SelfPreference", bias.self_preference(judge, singles, comp, boot))
    return out


def judge_report(
    job: ReportJob,
    judge: str,
    singles: list[Judgment],
    pairs: pd.DataFrame,
    categories: dict[str, str],
    answers: AnswerTexts | None,
    boot: Bootstrap,
    notes: list[str],
    scores: Sequence[PairScore] = (),
) -> JudgeReport:
    """One judge's tables, intervals, and the figures the job asks for.

    Args:
        job: what to compute (models, baseline, the optional figures).
        judge: the judge's id.
        singles: its latest single grades of the current answers.
        pairs: its latest pair games (:func:`judgebench.records.columns.game_frame` columns).
        categories: question id → category.
        answers: answer lengths and texts, when bias or length control asks for them.
        boot: how to draw the intervals.
        notes: lines the report shows at its end; figures that cannot be computed add one.
        scores: its paired-scoring records.

    Raises:
        UsageError: ``--relative-to`` or ``--anchor`` names a model the judge has no verdict on.
    """
    from judgebench import stats

    wanted = set(job.models)
    single_rows: list[Row] = []
    rows = [j for j in singles if not wanted or j.model in wanted]
    if rows:
        single_rows = stats.to_records(stats.single_table(rows, categories))
        single_rows = _with_intervals(single_rows, stats.single_intervals(rows, categories, boot), "model")
        if job.relative_to is not None:
            single_rows = _with_relative(single_rows, singles, job.relative_to, judge, boot)  # even if not in --models
    pair_rows: list[Row] = []
    consistency: list[Row] = []
    baseline, comparisons, excluded = None, 0, 0
    ratings: Ratings | None = None
    length: LengthControl | None = None
    breakdown: list[Row] = []
    games = pairs
    if wanted:
        allowed = wanted | {job.baseline}
        games = pairs[pairs["model_1"].isin(allowed) & pairs["model_2"].isin(allowed)].reset_index(drop=True)
    if len(games):
        baseline = job.baseline or _auto_baseline(games)
        from judgebench.stats.games import join_games

        joined = join_games(games, latest=True)  # once for both; report() kept each game's latest record
        table = stats.pairwise_table(joined, baseline, job.strong_weight)
        plain = stats.comparisons(joined, baseline)
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
            length = LengthControl(
                baseline=lc.baseline, variant=lc.variant, note=lc.note, models=stats.to_records(lc.table)
            )
    bias = _bias(judge, rows, games, answers, boot) if job.bias else None
    coverage = _coverage(rows, games if pair_rows else None, baseline)
    return JudgeReport(
        judge=judge,
        single=single_rows,
        pairwise=pair_rows,
        consistency=consistency,
        baseline=baseline,
        pair_comparisons=comparisons,
        pair_excluded=excluded,
        ratings=ratings,
        length_control=length,
        bias=bias,
        relative_to=job.relative_to if single_rows and job.relative_to is not None else None,
        pair_score=_pair_score_rows(job, scores, boot),
        pairwise_breakdown=breakdown,
        coverage=coverage,
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
        import pandas as pd  # loaded already: ``games`` is a DataFrame

        ok = games.loc[games["status"] == "ok", ["model_1", "model_2", "qid"]]
        sides = pd.concat([ok[[side, "qid"]].set_axis(["model", "qid"], axis=1) for side in ("model_1", "model_2")])
        sides = sides.drop_duplicates()  # one row per (model, question): the loop below stays short
        compared: dict[str, set[str]] = defaultdict(set)
        for model, qid in zip(sides["model"].astype(str), sides["qid"].astype(str), strict=True):
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


def _pair_score_rows(job: ReportJob, scores: Sequence[PairScore], boot: Bootstrap) -> list[Row]:
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


def _with_relative(rows: list[Row], grades: list[Judgment], reference: str, judge: str, boot: Bootstrap) -> list[Row]:
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
        r = totals.get(str(row["model"]))
        extra: Row = {"relative_total": None, "reference_total": None, "relative_pct": None}
        if r is not None:
            extra = {"relative_total": r.total, "reference_total": r.reference_total, "relative_pct": r.pct}
        if boot.replicates:
            extra |= {"relative_pct_lo": r.pct_lo if r else None, "relative_pct_hi": r.pct_hi if r else None}
        extra["relative_n"] = r.n if r else 0
        out.append(row | extra)
    return out


def vote_ratings(job: ReportJob, votes: list[HumanVote], boot: Bootstrap, notes: list[str]) -> list[VoteRatings]:
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
    return [VoteRatings(voters="all", n_voters=len(agreement), votes=len(pooled), **_ratings_dict(result),
                        voter_agreement=agreement)]  # fmt: skip


def _rate(outcomes: Outcomes | Comparisons, anchor: str | None, boot: Bootstrap, what: str) -> BTRatings:
    from judgebench import stats

    if isinstance(outcomes, stats.Comparisons):
        outcomes = stats.outcomes_from_comparisons(outcomes)
    if anchor is not None and anchor not in outcomes.models:
        raise UsageError(f"--anchor {anchor}: not among the models rated by {what}: {', '.join(outcomes.models)}")
    return stats.bradley_terry(outcomes, anchor=anchor, bootstrap=boot)
