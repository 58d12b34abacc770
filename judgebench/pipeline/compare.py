"""``compare``: is the candidate run worse than the base? Paired by question, with a gate.

Two results dirs (e.g. the cached results of ``main`` and those of a pull
request) are compared model by model, on the judge they share:

- **score** (single grades): a model's score on a question is the mean of its
  graded turns; the delta is paired by question (:mod:`judgebench.stats.deltas`).
- **win rate** (pairwise): a model's outcome on a question is the mean over
  its comparisons and turns of win 1, tie ½, loss 0 (the two games reconciled
  as in the report); the delta is paired the same way.

Each metric gets a verdict (pass / regression / inconclusive) against
``--fail-below``; the command's exit code is 3 if any is a regression, else 4
if any is inconclusive, else 0. Per-category deltas and the questions that got
worse most (with both judgments) say where to look. Manifests of both runs are
compared and any reason they are not comparable is reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from judgebench.errors import UsageError
from judgebench.judging import reconcile
from judgebench.pipeline.panel import PANEL
from judgebench.pipeline.provenance import comparability_warnings, latest_runs
from judgebench.records import Judgment, PairGame, RunManifest, counted
from judgebench.stats.deltas import Delta, GateVerdict, gate, paired_delta
from judgebench.storage import load_judgments, load_manifests, load_pair_games, resolve_question_set

__all__ = ["EXIT_CODES", "CompareJob", "Comparison", "MetricComparison", "compare", "render_compare_markdown"]

EXIT_CODES: Mapping[GateVerdict, int] = {"pass": 0, "regression": 3, "inconclusive": 4}
Metric = Literal["score", "win rate"]


@dataclass(frozen=True)
class CompareJob:
    """What ``compare`` reads and how strictly it judges.

    Attributes:
        base: the base results dir.
        candidate: the candidate results dir.
        questions: the bench; default: the one bench both dirs have.
        judge: the judge whose verdicts count (default: the one both share); ``panel``: the panel of
            the judges both runs share (mean grade, majority verdict; :mod:`judgebench.stats.panel`).
        models: only these models.
        fail_below: the non-inferiority margin on the delta (0: must not get worse).
        confidence: interval coverage.
        bootstrap: replicates of the paired bootstrap.
        seed: seeds it.
        worst: how many most-worsened questions to list per model.
    """

    base: Path
    candidate: Path
    questions: str | None = None
    judge: str | None = None
    models: tuple[str, ...] = ()
    fail_below: float = 0.0
    confidence: float = 0.95
    bootstrap: int = 1000
    seed: int = 0
    worst: int = 5


@dataclass(frozen=True)
class MetricComparison:
    """One model's delta on one metric, and where it came from."""

    model: str
    metric: Metric
    delta: Delta
    verdict: GateVerdict
    categories: list[dict[str, Any]] = field(default_factory=list)
    worst: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    """The whole comparison and its verdict."""

    bench: str
    judge: str
    base: Path
    candidate: Path
    fail_below: float
    metrics: tuple[MetricComparison, ...]
    warnings: tuple[str, ...]
    base_runs: tuple[RunManifest, ...]
    candidate_runs: tuple[RunManifest, ...]
    new_runs: tuple[RunManifest, ...] = ()
    """Candidate runs the base does not have: what the candidate itself spent."""

    @property
    def verdict(self) -> GateVerdict:
        """Regression if any metric regressed, else inconclusive if any is, else pass."""
        verdicts = {m.verdict for m in self.metrics}
        return "regression" if "regression" in verdicts else "inconclusive" if "inconclusive" in verdicts else "pass"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "bench": self.bench,
            "judge": self.judge,
            "base": str(self.base),
            "candidate": str(self.candidate),
            "fail_below": self.fail_below,
            "verdict": self.verdict,
            "exit_code": EXIT_CODES[self.verdict],
            "warnings": list(self.warnings),
            "metrics": [
                {
                    "model": m.model,
                    "metric": m.metric,
                    "verdict": m.verdict,
                    **{k: getattr(m.delta, k) for k in ("base", "candidate", "delta", "lo", "hi", "n", "confidence")},
                    "categories": m.categories,
                    "worst": m.worst,
                }
                for m in self.metrics
            ],
            "base_runs": [r.to_dict() for r in self.base_runs],
            "candidate_runs": [r.to_dict() for r in self.candidate_runs],
            "new_runs": [r.to_dict() for r in self.new_runs],
        }


def _bench(job: CompareJob) -> str:
    if job.questions is not None:
        try:
            return resolve_question_set(job.questions, job.base).name
        except UsageError:
            return job.questions
    benches = [
        {p.name for p in root.iterdir() if (p / "judgments").is_dir()} if root.is_dir() else set()
        for root in (job.base, job.candidate)
    ]
    shared = sorted(benches[0] & benches[1])
    if len(shared) != 1:
        have = ", ".join(shared) or "none with judgments in both"
        raise UsageError(f"compare: pass --questions to pick the bench (benches in both dirs: {have})")
    return shared[0]


def _load(root: Path, bench: str) -> tuple[list[Judgment], list[PairGame]]:
    folder = root / bench / "judgments"
    if not folder.is_dir():
        raise UsageError(f"{folder}: no judgments — run 'judgebench judge' with --results-dir {root} first")
    from judgebench.pipeline.staleness import current_answers, drop_stale
    from judgebench.stats import latest_games, latest_judgments

    singles = [j for p in sorted(folder.glob("*_single.jsonl")) for j in load_judgments(p)]
    games = [g for p in sorted(folder.glob("*_pair.jsonl")) for g in load_pair_games(p)]
    current = current_answers(root / bench / "answers")  # verdicts of answers regenerated since do not count
    return drop_stale(latest_judgments(singles), current)[0], drop_stale(latest_games(games), current)[0]


def _with_panels(
    base_single: list[Judgment], base_games: list[PairGame], cand_single: list[Judgment], cand_games: list[PairGame]
) -> tuple[list[Judgment], list[PairGame], list[Judgment], list[PairGame]]:
    """Each run's records plus those of the panel (judge ``panel``) of the judges both runs share, per mode.

    Raises:
        UsageError: fewer than two judges shared in every mode.
    """
    from judgebench.stats.panel import game_panel, grade_panel

    def by_judge(records: Sequence[Judgment | PairGame], judges: Sequence[str]) -> dict[str, list[Any]]:
        return {j: [r for r in records if r.judge == j] for j in judges}

    graders = sorted({j.judge for j in base_single} & {j.judge for j in cand_single})
    pairers = sorted({g.judge for g in base_games} & {g.judge for g in cand_games})
    if len(graders) < 2 and len(pairers) < 2:
        shared = sorted(set(graders) | set(pairers))
        raise UsageError(
            f"--judge {PANEL}: needs two judges or more in both runs; shared: {', '.join(shared) or 'none'}"
        )
    if len(graders) >= 2:
        base_single = [*base_single, *grade_panel(by_judge(base_single, graders)).judgments()]
        cand_single = [*cand_single, *grade_panel(by_judge(cand_single, graders)).judgments()]
    if len(pairers) >= 2:
        base_games = [*base_games, *game_panel(by_judge(base_games, pairers)).pair_games()]
        cand_games = [*cand_games, *game_panel(by_judge(cand_games, pairers)).pair_games()]
    return base_single, base_games, cand_single, cand_games


def _pick_judge(job: CompareJob, base: Sequence[Judgment | PairGame], cand: Sequence[Judgment | PairGame]) -> str:
    shared = sorted({r.judge for r in base} & {r.judge for r in cand})
    if job.judge is not None:
        if job.judge not in shared:
            raise UsageError(f"--judge {job.judge}: not in both runs; shared judges: {', '.join(shared) or 'none'}")
        return job.judge
    if len(shared) != 1:
        raise UsageError(f"compare: pass --judge (judges in both runs: {', '.join(shared) or 'none'})")
    return shared[0]


def _question_scores(judgments: Sequence[Judgment]) -> dict[str, dict[str, tuple[float, str, str]]]:
    """model → question → (mean graded score, category, a judgment excerpt)."""
    from judgebench.stats import latest_judgments

    grouped: dict[tuple[str, str], list[Judgment]] = defaultdict(list)
    for j in latest_judgments(judgments):
        if j.status == "ok" and j.score is not None:
            grouped[(j.model, str(j.question_id))].append(j)
    out: dict[str, dict[str, tuple[float, str, str]]] = defaultdict(dict)
    for (model, qid), rows in grouped.items():
        mean = sum(r.score or 0.0 for r in rows) / len(rows)
        excerpt = " | ".join(f"turn {r.turn}: {r.score:g} — {' '.join(r.judgment.split())[:160]}" for r in rows)
        out[model][qid] = (mean, rows[0].category, excerpt)
    return out


def _question_outcomes(games: Sequence[PairGame]) -> dict[str, dict[str, tuple[float, str, str]]]:
    """model → question → (mean of win 1 / tie ½ / loss 0 over its comparisons, category, summary)."""
    by_comparison: dict[tuple[str, int, str, str, str], dict[int, PairGame]] = defaultdict(dict)
    for g in games:
        by_comparison[(str(g.question_id), g.turn, g.model_1, g.model_2, g.prompt)][g.game] = g
    points: dict[tuple[str, str], list[float]] = defaultdict(list)
    categories: dict[str, str] = {}
    for (qid, _, m1, m2, _), pair in by_comparison.items():
        g1, g2 = pair.get(1), pair.get(2)
        if g1 is None or g2 is None or g1.status != "ok" or g2.status != "ok":
            continue
        outcome, _ = reconcile(g1.winner, g2.winner)
        categories[qid] = g1.category
        value = {"model_1": 1.0, "model_2": 0.0, "tie": 0.5}[outcome or "tie"]
        points[(m1, qid)].append(value)
        points[(m2, qid)].append(1.0 - value)
    out: dict[str, dict[str, tuple[float, str, str]]] = defaultdict(dict)
    for (model, qid), values in points.items():
        out[model][qid] = (sum(values) / len(values), categories.get(qid, ""), counted(len(values), "comparison"))
    return out


def _compare_metric(
    job: CompareJob,
    model: str,
    metric: Metric,
    base: Mapping[str, tuple[float, str, str]],
    cand: Mapping[str, tuple[float, str, str]],
) -> MetricComparison | None:
    def delta_of(b: Mapping[str, float], c: Mapping[str, float]) -> Delta | None:
        return paired_delta(b, c, replicates=job.bootstrap, confidence=job.confidence, seed=job.seed)

    delta = delta_of({q: v[0] for q, v in base.items()}, {q: v[0] for q, v in cand.items()})
    if delta is None:
        return None
    categories = []
    for category in sorted({v[1] for v in base.values()} - {""}):
        sub_base = {q: v[0] for q, v in base.items() if v[1] == category}
        sub = delta_of(sub_base, {q: v[0] for q, v in cand.items() if q in sub_base})
        if sub is not None:
            fields = ("base", "candidate", "delta", "lo", "hi", "n")
            categories.append({"category": category, **{k: getattr(sub, k) for k in fields}})
    shared = set(base) & set(cand)
    worsened = sorted((cand[q][0] - base[q][0], q) for q in shared if cand[q][0] < base[q][0])[: job.worst]
    worst = [
        {
            "question_id": q,
            "category": base[q][1],
            "base": base[q][0],
            "candidate": cand[q][0],
            "delta": d,
            "base_judgment": base[q][2],
            "candidate_judgment": cand[q][2],
        }
        for d, q in worsened
    ]
    return MetricComparison(model, metric, delta, gate(delta, job.fail_below), categories, worst)


def compare(job: CompareJob) -> Comparison:
    """Compare the candidate run with the base run.

    Raises:
        UsageError: no shared bench, judge or model with judgments in both.
        DataError: a bad judgment line (``file:line``).
    """
    if not 0.5 <= job.confidence < 1.0:
        raise UsageError(f"--confidence {job.confidence}: must be at least 0.5 and below 1")
    bench = _bench(job)
    base_single, base_games = _load(job.base, bench)
    cand_single, cand_games = _load(job.candidate, bench)
    if job.judge == PANEL:  # the panel of the judges both runs share, pooled in each run the same way
        base_single, base_games, cand_single, cand_games = _with_panels(
            base_single, base_games, cand_single, cand_games
        )
    judge = _pick_judge(job, [*base_single, *base_games], [*cand_single, *cand_games])
    metrics: list[MetricComparison] = []
    for metric, base_rows, cand_rows in (
        ("score", _question_scores([j for j in base_single if j.judge == judge]),
         _question_scores([j for j in cand_single if j.judge == judge])),
        ("win rate", _question_outcomes([g for g in base_games if g.judge == judge]),
         _question_outcomes([g for g in cand_games if g.judge == judge])),
    ):  # fmt: skip
        for model in sorted(set(base_rows) & set(cand_rows)):
            if job.models and model not in job.models:
                continue
            result = _compare_metric(job, model, metric, base_rows[model], cand_rows[model])  # type: ignore[arg-type]
            if result is not None:
                metrics.append(result)
    if not metrics:
        raise UsageError(f"compare: no model has verdicts by {judge} on the same questions in both runs")
    base_all, cand_all = load_manifests(job.base, bench), load_manifests(job.candidate, bench)
    base_runs, cand_runs = latest_runs(base_all), latest_runs(cand_all)
    known = {r.run_id for r in base_all}
    return Comparison(
        bench=bench,
        judge=judge,
        base=job.base,
        candidate=job.candidate,
        fail_below=job.fail_below,
        metrics=tuple(metrics),
        warnings=tuple(comparability_warnings(base_runs, cand_runs)),
        base_runs=tuple(base_runs),
        candidate_runs=tuple(cand_runs),
        new_runs=tuple(r for r in cand_all if r.run_id not in known),
    )


_ICONS = {"pass": "✅ pass", "regression": "❌ regression", "inconclusive": "⚠️ inconclusive"}


def render_compare_markdown(c: Comparison) -> str:
    """A pull-request comment: verdict, per-model deltas, categories, worst questions, warnings."""
    lines = [
        f"## judgebench: {_ICONS[c.verdict]}",
        "",
        f"Bench `{c.bench}`, judge `{c.judge}`; candidate vs base, paired by question, "
        f"{round(c.metrics[0].delta.confidence * 100)} % intervals; fails below a delta of {c.fail_below:+g}.",
        "",
    ]
    lines += [f"> ⚠ not comparable: {w}" for w in c.warnings] + ([""] if c.warnings else [])
    lines += ["| model | metric | base | candidate | delta [interval] | n | verdict |", "|---|---|---|---|---|---|---|"]
    for m in c.metrics:
        d = m.delta
        lines.append(
            f"| {m.model} | {m.metric} | {d.base:.3f} | {d.candidate:.3f} | {d.delta:+.3f} [{d.lo:+.3f}, {d.hi:+.3f}] "
            f"| {d.n} | {_ICONS[m.verdict]} |"
        )
    for m in c.metrics:
        if m.categories:
            lines += ["", f"<details><summary>{m.model} — {m.metric} by category</summary>", ""]
            lines += ["| category | base | candidate | delta [interval] | n |", "|---|---|---|---|---|"]
            lines += [
                f"| {r['category']} | {r['base']:.3f} | {r['candidate']:.3f} | {r['delta']:+.3f} "
                f"[{r['lo']:+.3f}, {r['hi']:+.3f}] | {r['n']} |"
                for r in m.categories
            ]
            lines += ["", "</details>"]
        if m.worst:
            lines += ["", f"<details><summary>{m.model} — questions that got worse ({m.metric})</summary>", ""]
            for w in m.worst:
                lines += [
                    f"- **{w['question_id']}** ({w['category']}): {w['base']:.2f} → {w['candidate']:.2f}",
                    f"  - base: {w['base_judgment']}",
                    f"  - candidate: {w['candidate_judgment']}",
                ]
            lines += ["", "</details>"]
    calls = sum(r.usage.calls for r in c.new_runs)
    dollars = [r.cost_usd for r in c.new_runs]
    cost = f" (${sum(d for d in dollars if d is not None):.4f})" if dollars and None not in dollars else ""
    lines += [
        "",
        f"The candidate's own runs made {counted(calls, 'call')}{cost}; everything else was reused from the base.",
    ]
    return "\n".join(lines) + "\n"
