"""The ``judgebench`` command: options in, one pipeline call, rich output.

No logic lives here. Every :class:`~judgebench.errors.JudgebenchError` is
caught once, in :func:`main`, and printed as one red line with its exit code;
so is any connection or protocol error that escaped the pipeline (see
:func:`~judgebench.providers.retry.connection_error`), on every command path.
Pipeline modules are imported inside each command so that ``--help`` stays fast (the job
dataclasses excepted: options take their defaults from them, and they import nothing heavy).

- :mod:`judgebench.cli.answers`: ``gen-answers``; :mod:`judgebench.cli.judge`: ``judge``; :mod:`judgebench.cli.run`:
  ``run``; their option groups: :mod:`judgebench.cli.options`, declared with :mod:`judgebench.cli.groups`;
- :mod:`judgebench.cli.validate`: ``validate-judge``; :mod:`judgebench.cli.arena`: ``arena``;
- :mod:`judgebench.cli.reporting`: ``report``, ``agreement``;
- :mod:`judgebench.cli.gate`: ``compare``;
- :mod:`judgebench.cli.data`: ``datasets``, ``import``, ``export``;
- :mod:`judgebench.cli.models`: ``models``.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from typing import Annotated

import typer
from rich.markup import escape

from judgebench import __version__
from judgebench.cli import answers, arena, gate, judge, reporting, run, validate
from judgebench.cli.data import datasets_app, export_app, import_app
from judgebench.cli.models import models_app
from judgebench.cli.render import configure_logging, err, out
from judgebench.errors import JudgebenchError

__all__ = ["app", "console", "main"]

# One BLAS thread unless the user says otherwise (read when numpy first loads, which no import above does).
# The statistics multiply small matrices (1,000 bootstrap replicates × 80 questions × 36 models): OpenBLAS
# threads cost more than they give there — 6–11 ms a product instead of 0.3 ms on a busy 2-core machine,
# ~0.2 s CPU of a 100k-record report — and the heavy parsing runs on pyarrow's own threads anyway.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

app = typer.Typer(
    name="judgebench",
    help="Judge chat models the MT-Bench way: multi-turn answers, LLM-as-a-judge verdicts, trustworthy numbers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("gen-answers")(answers.gen_answers_command)
app.command("judge")(judge.judge_command)
app.command("run")(run.run_command)
reporting.register(app)
gate.register(app)
app.add_typer(datasets_app, name="datasets")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(models_app, name="models")
arena.register(app)
validate.register(app)


def _version(value: bool) -> None:
    if value:
        out.print(f"judgebench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            help="Show what libraries say (warnings, transformers' notes, model-loading progress); -vv: debug.",
        ),
    ] = 0,
) -> None:
    """Judge chat models the MT-Bench way."""
    configure_logging(verbose)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (``kill``, ``timeout``, a CI cancel) stops a command as Ctrl-C does: finished work and its
    run manifest (calls, tokens, dollars spent) are saved, so no paid call drops out of the spend tables.

    It is re-raised as SIGINT so that a running ``asyncio.run`` takes its own graceful Ctrl-C path
    (cancel the main task, then ``KeyboardInterrupt``) rather than an exception at an arbitrary point.
    """
    signal.raise_signal(signal.SIGINT)


def _fail(exc: JudgebenchError) -> None:
    err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True, highlight=False)
    sys.exit(exc.exit_code)


def main() -> None:
    """Entry point: run the app, turning our errors into one red line and an exit code.

    Connection and protocol errors that reach here from any command (a server
    down, unreachable or not speaking the API) get the same one-line form
    (:func:`~judgebench.providers.retry.connection_error`); anything else is a
    bug and keeps its traceback.
    """
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    try:
        app()
    except JudgebenchError as exc:
        _fail(exc)
    except Exception as exc:
        from judgebench.providers.retry import connection_error

        translated = connection_error(exc)
        if translated is None:
            raise
        _fail(translated)
    finally:
        if previous is not None:  # the caller's handler again (tests run main() in their own process)
            signal.signal(signal.SIGTERM, previous)


def console() -> None:
    """The ``judgebench`` console script and ``python -m judgebench``: :func:`main`, in a process of its own.

    When the command is done, every object it built is frozen (:func:`gc.freeze`) before the
    interpreter exits, so the exit skips a last collection over all of them: a judge run's answers,
    prompts and records made it ~0.25 s slower than the calls' end (``bench/judge_latency.py``,
    MT-Bench's 4,960 judgments). atexit handlers and threads end as usual. Only for a process that
    ends with the command: in-process callers (the tests) call :func:`main`, whose garbage stays
    collectable.
    """
    try:
        main()
    finally:
        gc.freeze()
