"""Data commands: public datasets, FastChat import and export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from judgebench.cli.options import Questions, ResultsDir
from judgebench.cli.render import err, out

__all__ = ["datasets_app", "export_app", "import_app"]

datasets_app = typer.Typer(help="Public question sets: list them, download them.", no_args_is_help=True)
import_app = typer.Typer(help="Bring results from other tools.", no_args_is_help=True)
export_app = typer.Typer(help="Write results in other tools' formats.", no_args_is_help=True)


@datasets_app.command("list")
def datasets_list_command() -> None:
    """List bundled question sets and downloadable datasets."""
    from rich.table import Table

    from judgebench.pipeline.datasets import DATASETS
    from judgebench.storage import bundled_dir, data_dir

    table = Table("name", "kind", "where")
    for path in sorted(bundled_dir("questions").glob("*.jsonl")):
        table.add_row(path.stem, "bundled", str(path))
    for ds in DATASETS.values():
        folder = data_dir() / "datasets" / ds.name
        state = (
            str(folder) if (folder / "question.jsonl").is_file() else f"not pulled: judgebench datasets pull {ds.name}"
        )
        table.add_row(ds.name, "public", state)
    out.print(table)


@datasets_app.command("pull")
def datasets_pull_command(
    name: Annotated[str, typer.Argument(help="Dataset to download, e.g. mt-bench.")],
    mirror: Annotated[str | None, typer.Option("--mirror", help="Base URL of a copy with the upstream layout.")] = None,
    source_dir: Annotated[
        Path | None,
        typer.Option(
            "--from",
            file_okay=False,
            exists=True,
            help="A local copy to read instead of downloading: the upstream layout (or the files by name).",
        ),
    ] = None,
    no_verify: Annotated[
        bool,
        typer.Option(
            "--no-verify",
            help="With --from: accept files whose sha256 differs from the published release's (a hand-made copy); "
            "recorded as unverified in SOURCE.json and shown by validate-judge.",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Download again even if already present.")] = False,
    results_dir: ResultsDir = Path("results"),
) -> None:
    """Download a public question set, verify its sha256 and store it for --questions NAME.

    A dataset with answers (mt-bench-human) also files them under RESULTS_DIR/NAME/answers.
    """
    from judgebench.pipeline.datasets import pull
    from judgebench.records import counted

    what = "copying" if source_dir is not None else "downloading"
    result = pull(
        name,
        mirror=mirror,
        force=force,
        on_file=lambda f: err.print(f"{what} {f}"),
        source_dir=source_dir,
        verify=not no_verify,
    )
    for f in result.already_present:
        out.print(f"{f}: already present, {'sha256 verified' if f not in result.unverified else 'UNVERIFIED'}")
    if source_dir is not None:
        checked = "checked" if result.unverified else "verified"
        got = counted(len(result.downloaded), "file")
        out.print(f"{name}: {got} copied from {source_dir} and {checked} into {result.folder}")
    else:
        out.print(f"{name}: {counted(len(result.downloaded), 'file')} downloaded and verified into {result.folder}")
    if result.unverified:
        err.print(
            f"[bold yellow]UNVERIFIED: {len(result.unverified)} of the files are not the published release "
            f"({', '.join(result.unverified)}: sha256 differs) — figures made from them are not the paper's; "
            f"recorded in {result.folder / 'SOURCE.json'}[/]"
        )
    for note in result.notes:
        err.print(f"[yellow]{escape(note)}[/]")
    votes = [f for f in result.built if f.startswith("votes/")]
    if any(f.startswith("model_answer/") for f in result.built):
        from judgebench.storage.fastchat import import_fastchat

        summary = import_fastchat(result.folder, results_dir, name)
        filed = ", ".join(f"{m} ({n})" for m, n in sorted(summary.answers.items()))
        out.print(f"answers filed in {results_dir / name}/answers: {filed}")
    for f in votes:
        out.print(f"votes: {result.folder / f}")
    if votes and name == "mt-bench-human":
        out.print("validate a judge against these votes in one step: judgebench validate-judge -j … --dry-run")
    if votes:
        out.print(
            f"or step by step: judgebench judge -q {name} --mode pairwise --pairs-from "
            f"{result.folder / votes[0]} -j …; then "
            f"judgebench agreement -q {name} --votes {result.folder / votes[0]} -a 'expert_*' -b <judge>"
        )
    else:
        out.print(f"use it with: judgebench gen-answers --questions {name} --model …")


Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace existing files with different content.")]


@import_app.command("fastchat")
def import_fastchat_command(
    src: Annotated[Path, typer.Argument(help="A FastChat llm_judge data dir (question.jsonl, model_answer/, …).")],
    bench: Annotated[
        str, typer.Option("--bench", help="Bench name to file it under (default: the folder's name).")
    ] = "",
    results_dir: ResultsDir = Path("results"),
    overwrite: Overwrite = False,
) -> None:
    """Import FastChat answers, single and pairwise judgments and reference answers."""
    from judgebench.records import counted
    from judgebench.storage.fastchat import import_fastchat

    name = bench or src.resolve().name
    summary = import_fastchat(src, results_dir, name, overwrite=overwrite)
    out.print(f"imported into {results_dir / name}: {counted(len(summary.files), 'file')}")
    for note in summary.notes:
        err.print(f"[yellow]{escape(note)}[/]")
    out.print(f"report it with: judgebench report --questions {name} --results-dir {results_dir}")


@export_app.command("fastchat")
def export_fastchat_command(
    dest: Annotated[Path, typer.Argument(help="Folder to write FastChat's layout into.")],
    questions: Questions = "jb-80",
    results_dir: ResultsDir = Path("results"),
    overwrite: Overwrite = False,
) -> None:
    """Export a bench's answers and judgments in FastChat's llm_judge layout."""
    from judgebench.pipeline.fastchat_export import export_fastchat
    from judgebench.records import counted
    from judgebench.storage import resolve_bench

    bench, qset = resolve_bench(questions, results_dir)
    qfile = qset.path if qset is not None else None
    summary = export_fastchat(results_dir, bench, dest, questions=qfile, overwrite=overwrite)
    out.print(f"exported {bench} to {dest}: {counted(len(summary.files), 'file')}")
    for note in summary.notes:
        err.print(f"[yellow]{escape(note)}[/]")
