"""What the CLI prints with rich: the consoles, run summaries and report tables (progress: :mod:`.progress`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from judgebench.errors import JudgebenchError

if TYPE_CHECKING:
    from judgebench.pipeline.answers import AnswerRun
    from judgebench.pipeline.compare import Comparison
    from judgebench.pipeline.judge import JudgeRun
    from judgebench.pipeline.report import Report
    from judgebench.presentation.report_format import Section
    from judgebench.records import Usage

__all__ = [
    "announce_embedded",
    "configure_logging",
    "err",
    "failed_error",
    "out",
    "print_answer_run",
    "print_comparison",
    "print_judge_run",
    "print_panel_dry_run",
    "print_panel_judge",
    "print_report",
    "print_sections",
    "warn_toy_judge",
]

PIPED_WIDTH = 160
"""Width when output goes to a file, a pipe or a CI log (and $COLUMNS is unset): wide enough
that report tables are not cut to 80 columns."""


def _console(*, stderr: bool) -> Console:
    console = Console(stderr=stderr)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
    return console


out = _console(stderr=False)
err = _console(stderr=True)


class _ErrHandler(logging.Handler):
    """Log records as plain lines on :data:`err` (whatever ``sys.stderr`` is when they come)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            err.print(escape(self.format(record)), highlight=False, soft_wrap=True)
        except Exception:
            self.handleError(record)


def configure_logging(verbose: int) -> None:
    """Where library chatter goes: Python warnings and log lines (transformers routes its own here,
    see :func:`judgebench.providers.hf.route_library_output`) reach stderr only with ``-v``.

    Args:
        verbose: 0: errors only; 1 (``-v``): warnings and judgebench's notes, progress bars of
            model loading; 2 (``-vv``): debug.
    """
    logging.captureWarnings(True)  # warnings.warn(...) becomes a "py.warnings" log record
    level = {0: logging.ERROR, 1: logging.INFO}.get(verbose, logging.DEBUG)
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _ErrHandler)), None)
    if handler is None:
        handler = _ErrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    handler.setLevel(level)
    root.setLevel(min(level, logging.WARNING))
    logging.getLogger("judgebench").setLevel(logging.INFO if verbose else logging.WARNING)


def failed_error(count: int, what: str) -> JudgebenchError:
    """The error a command ends with when ``count`` of its calls failed (exit 1; a rerun retries only those).

    >>> str(failed_error(2, "answer"))
    '2 answers failed (kept with their reasons) — rerun the same command to retry only those'
    """
    plural = "s" if count != 1 else ""
    return JudgebenchError(
        f"{count} {what}{plural} failed (kept with their reasons) — rerun the same command to retry only those"
    )


def _usage(usage: Usage, cost: float | None = None) -> str:
    dollars = f", cost ${cost:.4f}" if cost else (", cost unknown (no price for this model)" if cost is None else "")
    thinking = f" (of which reasoning {usage.reasoning_tokens:,})" if usage.reasoning_tokens else ""
    return f"calls: {usage.calls}, tokens in {usage.input_tokens:,} / out {usage.output_tokens:,}{thinking}{dollars}"


def print_answer_run(run: AnswerRun) -> None:
    """Summary of a gen-answers run, or of what it would spend."""
    from judgebench.records import counted

    if run.dry_run:
        todo = run.selected - run.skipped
        out.print(f"dry run: {counted(todo, 'question')} to answer, {run.skipped} already done; at most:")
        out.print(_usage(run.usage, run.cost_usd))
        return
    out.print(f"answers: {run.path}")
    out.print(
        f"{counted(run.selected, 'question')}: {run.answered} answered now, {run.skipped} already done, "
        f"{run.failed} failed"
    )
    reused = f"; {counted(run.journal_hits, 'turn')} reused from the call journal" if run.journal_hits else ""
    out.print(_usage(run.usage, run.cost_usd) + reused)
    for reason in run.failures:
        err.print(f"[yellow]{escape(reason)}[/]")


def print_panel_judge(judge_id: str) -> None:
    """The heading of one panel judge's summary."""
    out.print(f"[bold]judge {escape(judge_id)}[/]")


def print_panel_dry_run(judges: Sequence[str], runs: Sequence[JudgeRun], *, max_tokens: int) -> None:
    """A panel's dry run, every judge together: calls, input tokens and dollars summed.

    The dollars are a sum only when every judge's price is known; otherwise the judges
    without a price are named.
    """
    from judgebench.records import counted

    unpriced = [j for j, r in zip(judges, runs, strict=True) if r.cost_usd is None and r.calls]
    known = sum(r.cost_usd or 0.0 for r in runs)
    cost = f", at most ${known:.4f}" if not unpriced else f"; no price for {', '.join(unpriced)}"
    calls = counted(sum(r.calls for r in runs), "judge call")
    out.print(
        f"dry run, the panel of {len(runs)} judges together: would make {calls} "
        f"(~{sum(r.estimated_input_tokens for r in runs):,} input tokens, up to {max_tokens:,} output tokens each, "
        f"plus re-asks{cost}) for {counted(sum(r.planned for r in runs), 'judgment')}; "
        f"{sum(r.skipped for r in runs)} already judged"
    )


def print_judge_run(run: JudgeRun, *, dry_run: bool, max_tokens: int) -> None:
    """Summary of a judge run, or of what it would do.

    The calls bought count every request paid for: the calls, the follow-ups
    re-asking for a verdict a reply lacked, and (``--retry-unparsed``) the
    records asked again because their verdict on disk was unreadable.
    """
    from judgebench.records import UNREADABLE_FIX, counted

    reused = f"; {run.reused} reuse the verdict of a call with the same prompt" if run.reused else ""
    retried = f" ({counted(run.retried, 'judgment')} asked again: unreadable before)" if run.retried else ""
    if dry_run:
        cost = "" if run.cost_usd is None else f", at most ${run.cost_usd:.4f}"
        out.print(
            f"dry run: would make {counted(run.calls, 'judge call')}{retried} (~{run.estimated_input_tokens:,} input "
            f"tokens, up to {max_tokens:,} output tokens each, plus re-asks{cost}) for "
            f"{counted(run.planned, 'judgment')}{reused}; {run.skipped} already judged"
        )
    else:
        out.print(f"judgments: {run.path}")
        out.print(
            f"{run.planned} judged now: {run.judged} with a verdict, {run.unparsed + run.truncated} without a "
            f"readable verdict{f' ({run.truncated} cut off at the token limit)' if run.truncated else ''}, "
            f"{run.failed} failed; {run.skipped} already done"
        )
        followups = run.requests - run.calls
        extra = (
            f" + {counted(followups, 're-ask')} for a missing verdict = {run.requests} requests" if followups else ""
        )
        out.print(f"{counted(run.calls, 'judge call')} bought{retried}{extra}{reused}")
        out.print(_usage(run.usage, run.cost_usd))
    if run.unreadable:
        err.print(f"[yellow]{counted(run.unreadable, 'verdict')} unreadable — {UNREADABLE_FIX}[/]")
    if run.missing_answers:
        err.print(f"[yellow]{counted(run.missing_answers, 'answer turn')} not judged: failed, incomplete or stale[/]")
    if run.unanswered:
        err.print(
            f"[yellow]{counted(run.unanswered, 'turn')} not judged: their questions have no answer yet "
            "(answered with --limit or --question-ids?) — gen-answers adds them[/]"
        )
    for reason in run.failures:
        err.print(f"[yellow]{escape(reason)}[/]")


_LABELS = {
    "win_rate": "win rate",
    "loss_rate": "loss rate",
    "win_rate_adjusted": "adjusted",
    "n_unparsed": "unparsed",
    "n_failed": "failed",
    "n_excluded": "excluded",
    "lc_win_rate": "LC win rate",
    "length_coef": "length coef",
    "mean_length_diff": "Δ length",
    "n_no_length": "no length",
    "kappa": "κ",
    "kappa_no_tie": "κ (no ties)",
    "rate_no_tie": "rate (no ties)",
    "agree_no_tie": "agree (no ties)",
    "n_no_tie": "n (no ties)",
}


def _cell(key: str, row: dict[str, Any]) -> str:
    """A figure with its interval in the compact form ``7.41 [7.02, 7.80]``."""
    from judgebench.presentation.report_format import format_cell  # the report's modules: only when one is drawn

    text = format_cell(key, row[key])
    if f"{key}_lo" in row and row[key] is not None and row[f"{key}_lo"] is not None:
        text += f" [{format_cell(key, row[f'{key}_lo'])}, {format_cell(key, row[f'{key}_hi'])}]"
    return text


def _table(title: str, rows: Sequence[dict[str, Any]], skip: tuple[str, ...] = ()) -> Table:
    keys = [k for k in rows[0] if k not in skip]
    keys = [k for k in keys if not (k.endswith(("_lo", "_hi")) and k[:-3] in keys)]
    table = Table(title=title, title_justify="left")
    for key in keys:
        label = key.removeprefix("category:") if key.startswith("category:") else _LABELS.get(key, key)
        table.add_column(escape(label), justify="left" if isinstance(rows[0][key], str) else "right")
    for row in rows:
        table.add_row(*(escape(_cell(k, row)) for k in keys))
    return table


def print_sections(sections: Sequence[Section]) -> None:
    """Draw titled tables and their notes."""
    for section in sections:
        if section.rows:
            out.print(_table(section.title, section.rows))
        elif section.title != "notes":
            out.print(f"[bold]{escape(section.title)}[/]")
        for note in section.notes:
            out.print(escape(note), soft_wrap=True, highlight=False)


def print_report(result: Report) -> None:
    """Rich tables: scores (then per category), pairwise outcomes, consistency, and what was asked for."""
    from judgebench.presentation.report_format import report_sections

    print_sections(report_sections(result))


_VERDICT_STYLE = {
    "pass": "[green]pass[/]",
    "regression": "[bold red]regression[/]",
    "inconclusive": "[yellow]inconclusive[/]",
}


def print_comparison(c: Comparison) -> None:
    """The gate's table: per model and metric, base, candidate, delta with interval, verdict."""
    from judgebench.records import counted

    for warning in c.warnings:
        err.print(f"[yellow]not comparable: {escape(warning)}[/]")
    share = round(c.metrics[0].delta.confidence * 100)
    table = Table(
        title=f"{c.bench}: candidate vs base, judged by {c.judge} ({share} % intervals)", title_justify="left"
    )
    for name in ("model", "metric", "base", "candidate", "delta [interval]", "n", "verdict"):
        table.add_column(name, justify="left" if name in ("model", "metric", "verdict") else "right")
    for m in c.metrics:
        d = m.delta
        table.add_row(
            m.model, m.metric, f"{d.base:.3f}", f"{d.candidate:.3f}", f"{d.delta:+.3f} [{d.lo:+.3f}, {d.hi:+.3f}]",
            str(d.n), _VERDICT_STYLE[m.verdict],
        )  # fmt: skip
    out.print(table)
    for m in c.metrics:
        for w in m.worst[:3]:
            out.print(
                f"  worse: {m.model} q{w['question_id']} ({w['category']}): {w['base']:.2f} → {w['candidate']:.2f}"
            )
    calls = sum(r.usage.calls for r in c.new_runs)
    verdict = _VERDICT_STYLE[c.verdict]
    out.print(
        f"verdict: {verdict} (fail below {c.fail_below:+g}); the candidate's own runs made {counted(calls, 'call')}"
    )


def announce_embedded(model: str) -> None:
    """Say so before the one slow step a first run of the embedded model takes."""
    from judgebench.aliases import resolve_model
    from judgebench.providers.local import EMBEDDED, embedded_path

    resolved = resolve_model(model)
    name = resolved.removeprefix("local/")
    if resolved.startswith("local/") and name in EMBEDDED and not (embedded_path(name) / "config.json").exists():
        err.print(f"preparing {resolved} once (assemble and convert, about 2 minutes) into {embedded_path(name)}")


def warn_toy_judge(judge_id: str) -> None:
    from judgebench.aliases import resolve_model

    if resolve_model(judge_id).startswith("local/"):
        err.print(
            f"[yellow]note:[/] {judge_id} is a tiny base model: as a judge it is for trying the pipeline, "
            "not for conclusions — use a strong judge (e.g. --judge openai/gpt-4o) for real numbers"
        )
