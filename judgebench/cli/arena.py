"""The ``arena`` command: serve a local page where people vote on anonymous answers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from judgebench.cli.options import Questions, ResultsDir
from judgebench.cli.render import err

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``arena`` to ``app``."""
    app.command("arena")(arena_command)


def arena_command(
    questions: Questions = "jb-80",
    results_dir: ResultsDir = Path("results"),
    models: Annotated[list[str] | None, typer.Option("--model", "-m", help="Only these models; repeat.")] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (local only by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8080,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the battle draws (default: random).")] = None,
) -> None:
    """Blind pairwise voting in the browser; votes are appended as human judgments (read by --votes)."""
    from judgebench.arena.session import Arena, ArenaJob
    from judgebench.arena.web import serve
    from judgebench.records import counted

    job = ArenaJob(questions=questions, results_dir=results_dir, models=tuple(models or ()), seed=seed)
    with Arena(job) as arena:
        err.print(
            f"arena for {escape(arena.bench)}: {counted(len(arena.models), 'model')}, "
            f"{counted(arena.votes, 'vote')} so far in "
            f"{escape(str(arena.path))}\nopen http://{escape(host)}:{port}/ (Ctrl-C to stop)"
        )
        serve(arena, host, port)
