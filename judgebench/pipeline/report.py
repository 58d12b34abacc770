"""``report``: load a bench's judgments and turn them into tables, per judge.

The numbers come from :mod:`judgebench.stats` (FastChat ``show_result.py``
semantics). This module finds the files, keeps each record's latest verdict of
the current answers, and groups the records by judge; each judge's tables are
:mod:`judgebench.pipeline.report_tables`' and the :class:`Report` type with its
rows is :mod:`judgebench.pipeline.report_rows`'. :mod:`judgebench.presentation`
writes the report as JSON, CSV, Markdown or HTML; the CLI draws it with rich.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, cast

from judgebench.errors import UsageError
from judgebench.pipeline.panel import PANEL, add_panel
from judgebench.pipeline.provenance import comparability_warnings, latest_runs, spend_totals
from judgebench.pipeline.report_rows import IntervalInfo, JudgeReport, PanelSummary, Report, ReportJob
from judgebench.pipeline.report_tables import AnswerTexts, judge_report, vote_ratings
from judgebench.pipeline.staleness import CurrentAnswers, answers_now, drop_stale, drop_stale_games, read_answers
from judgebench.records import Answer, HumanVote, Judgment, PairScore
from judgebench.storage import (
    Warn,
    load_game_table,
    load_judgments,
    load_manifests,
    load_pair_scores,
    load_votes,
    resolve_bench,
)
from judgebench.storage.game_table import gc_paused

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["JudgeReport", "Report", "ReportJob", "report"]


def _pair_tables(paths: Sequence[Path], warn: Warn, preload: Callable[[], None]) -> dict[str, pd.DataFrame]:
    """Every file's game table joined, split by judge (rows in file order); ``preload`` runs beside the first parse."""
    tables = [load_game_table(p, warn=warn, while_parsing=preload if i == 0 else None) for i, p in enumerate(paths)]
    from judgebench.stats.games import concat_game_tables

    frame = concat_game_tables(tables)
    if not len(frame):
        return {}
    return {str(judge): part.reset_index(drop=True) for judge, part in frame.groupby("judge", observed=True, sort=True)}


def _pair_scores(paths: Sequence[Path], warn: Warn) -> dict[str, list[PairScore]]:
    """Every paired-scoring record of the files, by judge (in file order)."""
    scores: dict[str, list[PairScore]] = defaultdict(list)
    for path in paths:
        for s in load_pair_scores(path, warn=warn):
            scores[s.judge].append(s)
    return scores


class _Preload:
    """What a report does while pyarrow parses its first pair file (the parse holds no GIL).

    It imports the statistics' modules (and scipy's optimiser for ``--ratings`` and
    ``--length-control``: about 0.3 s of CPU) and reads the bench's answers, once, for the
    stale-verdict check and (``--bias``, ``--length-control``) the answers' texts and lengths; the
    answers, their warnings and any error are handed over where the report used to read them
    (:meth:`current`, :meth:`texts`), so warnings keep their order and a bad answer line fails at the
    same point as before.
    """

    def __init__(self, job: ReportJob, answers: Path) -> None:
        self.job, self.answers = job, answers
        self.ran = False
        self.result: tuple[CurrentAnswers, AnswerTexts | None] | None = None
        self.error: Exception | None = None
        self.warnings: list[str] = []

    def __call__(self) -> None:
        from judgebench.stats import breakdown, games  # noqa: F401

        if self.job.ratings or self.job.length_control:
            from judgebench.stats.logistic import load_solver

            load_solver()
        self.ran = True
        try:
            self.result = self._read(self.warnings.append)
        except Exception as exc:  # handed over by current(), where the report reads the answers
            self.error = exc

    def _read(self, warn: Warn) -> tuple[CurrentAnswers, AnswerTexts | None]:
        read = read_answers(self.answers, warn)
        texts = _answer_texts(read) if self.job.bias or self.job.length_control else None
        return answers_now(read), texts

    def current(self, warn: Warn) -> CurrentAnswers:
        """The current answers (read now unless read beside the parse), their warnings passed to ``warn``.

        Raises:
            DataError: a bad answer line (``file:line``).
        """
        if not self.ran:
            self.ran = True
            self.result = self._read(warn)
            return self.result[0]
        for line in self.warnings:
            warn(line)
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result[0]

    def texts(self) -> AnswerTexts | None:
        """The answers' texts and lengths, read with :meth:`current` (called first) for ``--bias`` and
        ``--length-control``; ``None`` when neither is asked for."""
        assert self.result is not None, "current() reads the answers"
        return self.result[1]


def _answer_texts(answers: Iterable[Answer]) -> AnswerTexts:
    """Every ok answer turn's text and length (characters), by ``(model, str(question_id), turn)``."""
    lengths: dict[tuple[str, str, int], int] = {}
    texts: dict[tuple[str, str, int], str] = {}
    for answer in answers:
        if answer.status != "ok" or not answer.choices:
            continue
        qid = str(answer.question_id)
        for turn, text in enumerate(answer.choices[0].turns, start=1):
            lengths[(answer.model_id, qid, turn)] = len(text)
            texts[(answer.model_id, qid, turn)] = text
    return AnswerTexts(lengths, texts)


def _no_cycle_collection(make: Callable[[ReportJob], Report]) -> Callable[[ReportJob], Report]:
    """Run ``make`` with Python's cycle collector paused (and as it was after).

    A report allocates millions of objects that stay alive until it returns; the collector walked
    them ~250 times in a 100k report (0.05–0.09 s) and freed nothing worth it. Reference counting
    still frees everything that is not a cycle; cycles wait for the next collection.
    """

    @wraps(make)
    def paused(job: ReportJob) -> Report:
        with gc_paused():
            return make(job)

    return paused


@_no_cycle_collection
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
    preload = _Preload(job, job.results_dir / bench / "answers")
    pairs = _pair_tables(sorted(folder.glob("*_pair.jsonl")), warnings.append, preload)
    scores = _pair_scores(sorted(folder.glob("*_pairscore.jsonl")), warnings.append)
    _drop_stale(job, singles, pairs, warnings, scores, preload.current(warnings.append))
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
    answers = preload.texts()
    notes: list[str] = []
    panel = None
    if job.panel or PANEL in job.judges:
        panel = cast(
            "PanelSummary", add_panel(judges, singles, pairs, boot, notes, job.models, job.baseline, scores)
        )  # stats.panel_agreement.panel_summary's dict, typed here
    no_games = game_frame([])
    out = [
        judge_report(
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
    by_votes = vote_ratings(job, votes, boot, notes) if votes else []
    flags = None
    if job.bias and answers is not None:
        from judgebench.stats.bias import injection_flags

        flags = tuple(injection_flags(answers.texts))
        if not answers.texts:
            notes.append("no answers found: length and injection diagnostics need results/<bench>/answers/")
    info = None
    if boot.replicates:
        info = IntervalInfo(replicates=boot.replicates, seed=boot.seed, level=boot.level, unit="question")
    manifests = load_manifests(job.results_dir, bench)
    runs = latest_runs(manifests)
    warnings += [f"not comparable: {w}" for w in comparability_warnings(runs)]
    return Report(
        bench=bench,
        judges=tuple(out),
        warnings=tuple(warnings),
        runs=tuple(runs),
        bootstrap=info,
        vote_ratings=tuple(by_votes),
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
    singles: dict[str, list[Judgment]],
    pairs: dict[str, pd.DataFrame],
    warnings: list[str],
    scores: dict[str, list[PairScore]],
    current: CurrentAnswers,
) -> None:
    """Keep each record's latest verdict, and of those only verdicts of the current answers; warn of the rest."""
    from judgebench import stats
    from judgebench.stats.games import latest_game_table

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
    for judge, records in scores.items():
        kept = [r for r in records if not current.is_stale(r)]
        if len(kept) < len(records):
            refresh = f"judgebench judge -j {judge} -q {job.questions} --mode pair-score"
            warnings.append(
                f"{judge}: {len(records) - len(kept)} pair scores judge answers regenerated since and are left out "
                f"— refresh them with '{refresh}' with the same --baseline or --all-pairs"
            )
        records[:] = kept
