"""The ``validate-judge`` command: judge MT-Bench's human-voted items, then compare with the experts and GPT-4."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.markup import escape

from judgebench.cli.groups import build, takes
from judgebench.cli.judge import judge_all, judge_job
from judgebench.cli.options import (
    CONNECTION,
    RUNNING,
    DryRun,
    ResultsDir,
    RetryUnparsed,
    judge_panel_ids,
)
from judgebench.cli.render import err, failed_error, print_sections
from judgebench.errors import UsageError

if TYPE_CHECKING:
    from judgebench.pipeline import validation_panel
    from judgebench.pipeline.validation import Validation

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``validate-judge`` to ``app``."""
    app.command("validate-judge")(validate_judge_command)


@takes(RUNNING, CONNECTION)
def validate_judge_command(
    judge_id: Annotated[
        list[str] | None,
        typer.Option(
            "--judge",
            "-j",
            help="The judge model, provider/model (e.g. openai/gpt-4o); repeat for a judge panel: each member and "
            "the panel (majority verdict, or mean grade) are compared, judged in one run.",
        ),
    ] = None,
    judges: Annotated[
        str | None,
        typer.Option(
            "--judges", help="A judge panel, comma-separated provider/model ids (the same as repeating --judge)."
        ),
    ] = None,
    mode: Annotated[
        Literal["pairwise", "single"],
        typer.Option("--mode", help="pairwise: judge the voted pairs in both orders; single: grade, then compare."),
    ] = "pairwise",
    results_dir: ResultsDir = Path("results"),
    prompts: Annotated[str, typer.Option("--prompts", help="Judge prompt set (name or JSONL file).")] = "jb-v1",
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="Only the first N voted questions (1 or more): a quick look.")
    ] = None,
    dry_run: DryRun = False,
    votes: Annotated[
        Path | None,
        typer.Option("--votes", help="Human votes (default: the pulled mt-bench-human release's votes/human.jsonl)."),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option("--reference", help="GPT-4's votes (default: the release's votes/gpt4_pair.jsonl)."),
    ] = None,
    voters: Annotated[str, typer.Option("--voters", help="Only human voters matching this glob, e.g. 'expert_*'.")] = (
        "*"
    ),
    tie_threshold: Annotated[
        float, typer.Option("--tie-threshold", min=0.0, help="Single: grades this close or closer are a tie.")
    ] = 0.0,
    margin: Annotated[
        float,
        typer.Option("--margin", min=0.0, max=1.0, help="'As often as GPT-4': at most this much lower agreement."),
    ] = 0.05,
    bootstrap: Annotated[int, typer.Option("--bootstrap", min=0, help="Question-bootstrap replicates.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    fmt: Annotated[
        Literal["table", "markdown", "json"], typer.Option("--format", "-f", help="table, markdown or json.")
    ] = "table",
    plots: Annotated[
        Path | None,
        typer.Option("--plots", file_okay=False, help="Also save the agreement figures (PNG) in this folder."),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", dir_okay=False, help="Also write a self-contained HTML page: figures, tables, verdict."),
    ] = None,
    retry_unparsed: RetryUnparsed = False,
    **options: Any,
) -> None:
    """Judge the items MT-Bench's experts voted on, then show agreement beside GPT-4's and the experts' own.

    With several judges (-j A -j B, or --judges A,B) every member judges the same items in one run
    (one bound on calls in flight, one --max-cost), and each member and the panel get a row.
    """
    params = {**locals(), **options}
    from judgebench.pipeline.validation import ValidateJob, validate_judge, validation_inputs
    from judgebench.pipeline.validation_panel import validate_panel
    from judgebench.pipeline.validation_release import HUMAN_BENCH, file_release_answers, human_votes_path

    panel = judge_panel_ids(judge_id, judges)
    if not panel:
        raise UsageError("--judge: name the judge model, e.g. --judge openai/gpt-4o")
    judge = panel[0]
    votes_path = votes or human_votes_path("human")
    job = build(ValidateJob, params, judge=judge, votes=votes_path)
    humans, _ = validation_inputs(job, votes_given=votes is not None)  # bad votes files cost nothing
    filed = file_release_answers(job.results_dir)  # pulled with another results dir: file the voted answers here
    if filed:
        models = ", ".join(f"{m} ({n})" for m, n in sorted(filed.items()))
        err.print(f"answers filed from the pulled release in {escape(str(job.results_dir / HUMAN_BENCH))}/answers: "
                  f"{escape(models)}")  # fmt: skip
    question_ids: tuple[str, ...] = ()
    if limit is not None and limit < 1:  # voted[:0] would mean no filter: every voted item bought
        raise UsageError(f"--limit {limit}: give 1 or more voted questions (or leave --limit out for all of them)")
    if limit is not None:  # the first N *voted* questions, not the first N of the bench (some may have no votes)
        voted = sorted({str(v.question_id) for v in humans}, key=lambda q: (len(q), q))
        question_ids, limit = tuple(voted[:limit]), None
    # With -f json/markdown stdout carries only the result: the judging step's summary goes to stderr.
    to_stderr = fmt != "table" and not dry_run
    with contextlib.redirect_stdout(sys.stderr) if to_stderr else contextlib.nullcontext():
        judging = judge_job(
            params,
            judge=judge,
            questions=HUMAN_BENCH,
            pairs_from=votes_path,  # pairwise: the voted pairs; single: grade exactly the voted answer turns
            limit=limit,
            question_ids=question_ids,
        )
        failed = judge_all(panel, judging, verbose=options["verbose"])
    if dry_run:
        return
    _show(validate_panel(job, panel) if len(panel) > 1 else validate_judge(job), fmt, plots, html)
    if failed:
        raise failed_error(failed, "judgment")


def _show(
    result: Validation | validation_panel.PanelValidation, fmt: str, plots: Path | None, html: Path | None
) -> None:
    """Print the comparison (table, Markdown or JSON on stdout); save its figures and page when asked."""
    from judgebench.pipeline.validation import validation_rows
    from judgebench.pipeline.validation_panel import PanelValidation
    from judgebench.presentation.validation_format import panel_rows, panel_sections, validation_sections

    if isinstance(result, PanelValidation):
        judges = ", ".join(result.judges)
        name, sections, bars = f"panel of {judges}", panel_sections(result), panel_rows(result, "all")
        who = f"{judges}, their panel"
    else:
        name, sections, bars = result.judge, validation_sections(result), validation_rows(result, "all")
        who = result.judge
    if fmt == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    elif fmt == "markdown":
        from judgebench.presentation.report_format import markdown_table

        lines = [f"# validate-judge: {name}", ""]
        for section in sections:
            lines += [f"## {section.title}", "", *markdown_table(section.rows), *(f"{n}  " for n in section.notes), ""]
        sys.stdout.write("\n".join(lines) + "\n")
    else:
        print_sections(sections)
    if plots is not None or html is not None:
        from judgebench.presentation.plots import draw_agreement
        from judgebench.presentation.validation_format import validation_html

        title = f"{who}, GPT-4 and the humans on {result.items} voted items"
        figures = draw_agreement(bars, title, plots)
        for figure in figures:
            if figure.png is not None:
                err.print(f"wrote figure: {escape(str(figure.png))}")
        if html is not None:
            from judgebench.storage import replace_file

            replace_file(html, validation_html(result, figures).encode("utf-8"))  # whole, or one-line error
            err.print(f"wrote page: {escape(str(html))}")
