"""The ``report`` and ``agreement`` commands: numbers with their uncertainty, and judges against judges."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape

from judgebench.cli.groups import build
from judgebench.cli.options import Questions, ResultsDir, judge_panel_ids
from judgebench.cli.render import err, print_report, print_sections
from judgebench.pipeline.agreement import AgreementJob
from judgebench.pipeline.report_rows import ReportJob

__all__ = ["Baseline", "Format", "FormatOption", "register", "run_report"]

Format = Literal["table", "markdown", "json", "csv"]
Baseline = Annotated[
    str | None, typer.Option("--baseline", help="Pairwise, pair-score: compare each model with this one.")
]


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``agreement`` to ``app``."""
    app.command("report")(report_command)
    app.command("agreement")(agreement_command)


def run_report(job: ReportJob, fmt: Format, html: Path | None = None, plots: Path | None = None) -> None:
    """Make the report and print it in ``fmt``; with ``html``/``plots`` also write the page / the PNG figures."""
    from judgebench.pipeline.report import report
    from judgebench.presentation.report_format import render_csv, render_json, render_markdown

    if html is not None or plots is not None:
        from judgebench.presentation.html_report import HtmlJob, html_report

        result = html_report(HtmlJob(job, html=html, plots=plots))
        for path, what in ((html, "report"), (plots, "figures (PNG)")):
            if path is not None:
                err.print(f"wrote {what}: {escape(str(path))}")
    else:
        result = report(job)
    for warning in result.warnings:
        err.print(f"[yellow]{escape(warning)}[/]")
    if fmt == "table":
        print_report(result)
        return
    render = {"markdown": render_markdown, "json": render_json, "csv": render_csv}[fmt]
    sys.stdout.write(render(result))


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table (default), markdown, json or csv.")]
BootstrapOption = Annotated[
    int,
    typer.Option(
        "--bootstrap", min=0, help="Replicates of the question-clustered bootstrap behind every interval (0: none)."
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")]


def report_command(
    questions: Questions = ReportJob.questions,
    results_dir: ResultsDir = ReportJob.results_dir,
    judges: Annotated[
        list[str] | None,
        typer.Option("--judge", "-j", help="Only this judge; repeat. 'panel': the panel of the others (see --panel)."),
    ] = None,
    judges_listed: Annotated[
        str | None,
        typer.Option("--judges", help="Only these judges, comma-separated (the same as repeating --judge)."),
    ] = None,
    panel: Annotated[
        bool,
        typer.Option(
            "--panel",
            help="Pool the judges (all, or those of --judge) into one more judge, 'panel': mean grade, majority "
            "verdict (no majority: tie); add inter-judge agreement (Krippendorff's alpha), Kendall's tau between "
            "judges' rankings and self-preference.",
        ),
    ] = ReportJob.panel,
    baseline: Baseline = ReportJob.baseline,
    models: Annotated[list[str] | None, typer.Option("--model", "-m", help="Only this judged model; repeat.")] = None,
    fmt: FormatOption = "table",
    bootstrap: BootstrapOption = ReportJob.bootstrap,
    seed: SeedOption = ReportJob.seed,
    bias: Annotated[bool, typer.Option("--bias", help="Add the judge-bias diagnostics.")] = ReportJob.bias,
    ratings: Annotated[
        bool, typer.Option("--ratings", help="Add Bradley–Terry ratings (Elo scale) with intervals and ranks.")
    ] = ReportJob.ratings,
    length_control: Annotated[
        bool,
        typer.Option("--length-control", help="Add AlpacaEval 2's length-controlled win rate against the baseline."),
    ] = ReportJob.length_control,
    anchor: Annotated[
        str | None, typer.Option("--anchor", help="Ratings: the model rated 1000 (default: the baseline).")
    ] = ReportJob.anchor,
    votes: Annotated[
        list[Path] | None,
        typer.Option("--votes", help="Human votes (MT-Bench human-judgment JSON/JSONL/CSV) to rate models by; repeat."),
    ] = None,
    relative_to: Annotated[
        str | None,
        typer.Option(
            "--relative-to",
            metavar="MODEL",
            help="Add each model's total single grade as a percentage of MODEL's (same question/turn items), "
            "with an interval.",
        ),
    ] = ReportJob.relative_to,
    tie_threshold: Annotated[
        float,
        typer.Option(
            "--tie-threshold",
            metavar="POINTS",
            help="Paired scoring: two averaged scores at most this many points apart are a tie.",
        ),
    ] = ReportJob.tie_threshold,
    strong_weight: Annotated[
        int,
        typer.Option(
            "--strong-weight",
            min=1,
            help="Count a win with a strong verdict ([[A>>B]], five-level prompts) this many times in win rates "
            "and ratings (Arena-Hard uses 3).",
        ),
    ] = ReportJob.strong_weight,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            dir_okay=False,
            help="Also write the report as one self-contained HTML page (figures, tables, answer browser); "
            "turns on --bias and --ratings.",
        ),
    ] = None,
    plots: Annotated[
        Path | None, typer.Option("--plots", file_okay=False, help="Also save the main figures as PNGs in this folder.")
    ] = None,
    question: Annotated[
        str | None,
        typer.Option(
            "--question",
            help="Instead of the tables, print this question's answers, grades, games and the judges' rationales "
            "(-f json for JSON).",
        ),
    ] = None,
) -> None:
    """Scores and win rates with intervals; position consistency; optional ratings, length control and bias."""
    params = dict(locals())
    job = build(
        ReportJob,
        params,
        judges=judge_panel_ids(judges, judges_listed),
        models=tuple(models or ()),
        votes=tuple(votes or ()),
        bias=bias or html is not None,
        ratings=ratings or html is not None,
    )
    if question is not None:
        _print_question(job, question, fmt)
        return
    run_report(job, fmt, html, plots)


def _print_question(job: ReportJob, question: str, fmt: Format) -> None:
    import json

    from judgebench.errors import UsageError
    from judgebench.pipeline.question_view import question_view, render_question

    if fmt == "csv":
        raise UsageError("--question prints text or JSON — use -f table, markdown or json")
    view = question_view(job, question)
    sys.stdout.write(json.dumps(view.to_dict(), indent=2) + "\n" if fmt == "json" else render_question(view) + "\n")


def agreement_command(
    a: Annotated[
        str,
        typer.Option(
            "--a",
            "-a",
            help="Judge A: a voter name or glob in --votes (expert_*, author_0, gpt4_pair), or a judge of the "
            "bench (pair:NAME / single:NAME to choose its verdicts).",
        ),
    ],
    b: Annotated[
        str | None, typer.Option("--b", "-b", help="Judge B, as for -a. Default: A's voters with each other.")
    ] = AgreementJob.b,
    votes: Annotated[
        list[Path] | None,
        typer.Option(
            "--votes",
            help="Human votes: MT-Bench human-judgment JSON/JSONL, or CSV with question_id,model_a,model_b,"
            "winner,judge,turn; repeat.",
        ),
    ] = None,
    questions: Questions = AgreementJob.questions,
    results_dir: ResultsDir = AgreementJob.results_dir,
    tie_threshold: Annotated[
        float, typer.Option("--tie-threshold", min=0, help="Single grades → verdicts: a tie when |Δ grade| ≤ this.")
    ] = AgreementJob.tie_threshold,
    inconsistent: Annotated[
        Literal["tie", "drop"],
        typer.Option("--inconsistent", help="Our pairwise judges' games that disagree: tie (FastChat) or drop."),
    ] = AgreementJob.inconsistent,
    bootstrap: BootstrapOption = AgreementJob.bootstrap,
    seed: SeedOption = AgreementJob.seed,
    fmt: FormatOption = "table",
) -> None:
    """Agreement between two judges (human, LLM, or a group with itself): with/without ties, Cohen's κ, per turn."""
    params = dict(locals())
    from judgebench.pipeline.agreement import agreement
    from judgebench.presentation.agreement_format import (
        agreement_sections,
        render_agreement_csv,
        render_agreement_json,
        render_agreement_markdown,
    )

    job = build(AgreementJob, params, votes=tuple(votes or ()))
    result = agreement(job)
    if fmt == "table":
        print_sections(agreement_sections(result))
        return
    render = {"markdown": render_agreement_markdown, "json": render_agreement_json, "csv": render_agreement_csv}[fmt]
    sys.stdout.write(render(result))
