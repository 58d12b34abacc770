"""The ``compare`` command: the CI regression gate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from judgebench.cli.options import one_judge
from judgebench.cli.render import print_comparison

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``compare`` to ``app``."""
    app.command(
        "compare",
        epilog="Exit codes: 0 pass (the interval of every delta is at or above --fail-below); "
        "3 regression shown (an interval lies wholly below it); 4 inconclusive (an interval straddles it); "
        "1/2 errors as elsewhere.",
    )(compare_command)


def compare_command(
    base: Annotated[Path, typer.Argument(help="The base results dir (e.g. main's cached results).")],
    candidate: Annotated[Path, typer.Argument(help="The candidate results dir (e.g. the pull request's).")],
    questions: Annotated[
        str | None, typer.Option("--questions", "-q", help="The bench (default: the one both dirs have).")
    ] = None,
    judge_id: Annotated[
        list[str] | None,
        typer.Option(
            "--judge", "-j", help="Judge whose verdicts count; panel: the panel of the judges both runs share."
        ),
    ] = None,
    models: Annotated[list[str] | None, typer.Option("--model", "-m", help="Only this model; repeat.")] = None,
    fail_below: Annotated[
        float,
        typer.Option(
            "--fail-below", help="Non-inferiority margin on the delta: 0 = must not get worse; -0.25 tolerates 0.25."
        ),
    ] = 0.0,
    confidence: Annotated[float, typer.Option("--confidence", help="Interval coverage.")] = 0.95,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Paired bootstrap replicates.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seeds the bootstrap.")] = 0,
    fmt: Annotated[
        Literal["table", "markdown", "json"],
        typer.Option("--format", "-f", help="table (default), markdown (a PR comment) or json."),
    ] = "table",
) -> None:
    """Gate: is the candidate worse than the base? Per-model deltas paired by question, with intervals."""
    from judgebench.pipeline.compare import EXIT_CODES, CompareJob, compare
    from judgebench.presentation.compare_format import render_compare_markdown

    result = compare(
        CompareJob(
            base=base,
            candidate=candidate,
            questions=questions,
            judge=one_judge(judge_id),
            models=tuple(models or ()),
            fail_below=fail_below,
            confidence=confidence,
            bootstrap=bootstrap,
            seed=seed,
        )
    )
    if fmt == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(render_compare_markdown(result))
    else:
        print_comparison(result)
    raise typer.Exit(EXIT_CODES[result.verdict])
