"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from judgebench.errors import UsageError

if TYPE_CHECKING:  # imported when options are built: --help never loads the providers
    from judgebench.providers import ProviderOptions

__all__ = [
    "ApiKeyEnv",
    "BaseUrl",
    "BatchSize",
    "ChatTemplate",
    "Device",
    "DryRun",
    "Dtype",
    "Engine",
    "JudgeId",
    "JudgeList",
    "Limit",
    "MaxAttempts",
    "MaxCost",
    "NumGpusPerWorker",
    "NumWorkers",
    "Parallel",
    "Prices",
    "QuestionIds",
    "Questions",
    "ResultsDir",
    "RetryUnparsed",
    "Timeout",
    "Verbose",
    "batch_size",
    "judge_panel_ids",
    "one_judge",
    "provider_options",
    "split_ids",
    "the_judge",
]

Questions = Annotated[
    str,
    typer.Option(
        "--questions",
        "-q",
        help="Question set: bundled (jb-80), pulled (mt-bench) or a JSONL path; its name is the bench.",
    ),
]
ResultsDir = Annotated[
    Path, typer.Option("--results-dir", envvar="JUDGEBENCH_RESULTS_DIR", help="Root of the results tree.")
]
BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible server, e.g. http://localhost:8000/v1 (vLLM, Ollama…)."),
]
ApiKeyEnv = Annotated[
    str | None,
    typer.Option("--api-key-env", help="Environment variable holding the API key (default: the provider's)."),
]
Parallel = Annotated[
    int | None,
    typer.Option("--parallel", "-p", help="Requests in flight at once (default 8; local models: 4 batches' worth)."),
]
Limit = Annotated[int | None, typer.Option("--limit", "-n", help="Only the first N questions.")]
QuestionIds = Annotated[str | None, typer.Option("--question-ids", help="Comma-separated question ids, e.g. 1,5,12.")]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds before a request is abandoned (and retried).")]
MaxAttempts = Annotated[int, typer.Option("--max-attempts", help="Tries per call before it is recorded as failed.")]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Print a line for every retry (default: counts on the progress bar, totals at the end), and what "
        "libraries say (as judgebench -v).",
    ),
]
JudgeId = Annotated[
    list[str], typer.Option("--judge", "-j", help="The judge model, provider/model (e.g. openai/gpt-4o); give one.")
]
"""Collected as a list so that a repeated ``--judge`` is refused (:func:`one_judge`), not silently cut to the last
(``judge`` and ``run`` take a panel instead: :func:`judge_panel_ids`)."""
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print the calls, tokens and dollars it would spend, at most; spend nothing.")
]
RetryUnparsed = Annotated[
    bool,
    typer.Option(
        "--retry-unparsed",
        help="Ask again (and pay again for) exactly the judgments whose verdict on disk could not be read; "
        "the new verdict replaces the old one. Default: a rerun never re-buys them.",
    ),
]
MaxCost = Annotated[
    float | None,
    typer.Option(
        "--max-cost",
        help="Stop cleanly once the command has spent this many US dollars, all its steps together "
        "(exit 5; rerun to resume).",
    ),
]
Prices = Annotated[
    Path | None,
    typer.Option(
        "--prices",
        envvar="JUDGEBENCH_PRICES",
        help='Price file: {"provider/model": {"input": $, "output": $}} per 1M tokens.',
    ),
]


def one_judge(values: list[str] | None) -> str | None:
    """The one ``--judge`` given, ``None`` if none.

    >>> one_judge(["openai/gpt-4o"]), one_judge(None)
    ('openai/gpt-4o', None)
    >>> one_judge(["a/x", "b/y"])
    Traceback (most recent call last):
    ...
    judgebench.errors.UsageError: --judge given 2 times (a/x, b/y): this command takes one judge — run it once per judge
    """
    if not values:
        return None
    if len(values) > 1:
        raise UsageError(
            f"--judge given {len(values)} times ({', '.join(values)}): this command takes one judge — "
            "run it once per judge"
        )
    return values[0]


JudgeList = Annotated[
    str | None,
    typer.Option(
        "--judges",
        help="A judge panel, comma-separated provider/model ids (the same as repeating --judge): each judges "
        "everything, concurrently; report --panel shows the panel.",
    ),
]


def judge_panel_ids(values: list[str] | None, listed: str | None = None) -> tuple[str, ...]:
    """The judges named by repeated ``--judge`` and by ``--judges a,b,c``, in order, each once.

    >>> judge_panel_ids(["a/x", "b/y"], "c/z, a/x")
    ('a/x', 'b/y', 'c/z')
    >>> judge_panel_ids(None), judge_panel_ids(None, "a/x")
    ((), ('a/x',))
    >>> judge_panel_ids(["a/x"], " ,")
    Traceback (most recent call last):
    ...
    judgebench.errors.UsageError: --judges ' ,': name judges separated by commas, e.g. --judges openai/gpt-4o,...
    """
    named = list(values or ())
    if listed is not None:
        extra = [j.strip() for j in listed.split(",") if j.strip()]
        if not extra:
            raise UsageError(f"--judges {listed!r}: name judges separated by commas, e.g. --judges openai/gpt-4o,...")
        named += extra
    return tuple(dict.fromkeys(named))


def the_judge(values: list[str]) -> str:
    """The one ``--judge`` of a command that needs one (see :func:`one_judge`)."""
    judge = one_judge(values)
    if judge is None:
        raise UsageError("--judge: name the judge model, e.g. --judge openai/gpt-4o")
    return judge


def split_ids(value: str | None) -> tuple[str, ...]:
    """``"1, 5,12"`` → ``("1", "5", "12")``.

    >>> split_ids("1, 5,12"), split_ids(None)
    (('1', '5', '12'), ())
    """
    return tuple(i.strip() for i in value.split(",") if i.strip()) if value else ()


_LOCAL = "Local models"
Device = Annotated[
    str, typer.Option("--device", help="Local models: auto, cpu, cuda, cuda:N, mps.", rich_help_panel=_LOCAL)
]
Dtype = Annotated[
    str,
    typer.Option(
        "--dtype",
        help="Local models: auto (CPU: bf16 if native else fp32; GPU: bf16/fp16), float32, bfloat16, float16.",
        rich_help_panel=_LOCAL,
    ),
]
BatchSize = Annotated[
    str,
    typer.Option("--batch-size", help="Local models: requests per generate() call, or auto.", rich_help_panel=_LOCAL),
]
ChatTemplate = Annotated[
    Path | None,
    typer.Option("--chat-template", help="Local models: a Jinja chat template file.", rich_help_panel=_LOCAL),
]
Engine = Annotated[
    Literal["transformers", "vllm"],
    typer.Option("--engine", help="Local models: transformers, or vllm (GPU).", rich_help_panel=_LOCAL),
]
NumWorkers = Annotated[
    int,
    typer.Option(
        "--num-workers",
        help="Local models: Ray workers, each with its own model copy (0: none).",
        rich_help_panel=_LOCAL,
    ),
]
NumGpusPerWorker = Annotated[
    float,
    typer.Option("--num-gpus-per-worker", help="Local models: GPUs per Ray worker.", rich_help_panel=_LOCAL),
]


def batch_size(value: str) -> int | None:
    """``--batch-size`` as the provider wants it: ``auto`` → ``None``.

    >>> batch_size("auto"), batch_size("16")
    (None, 16)
    """
    if value == "auto":
        return None
    try:
        return int(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: a whole number or auto", param_hint="--batch-size") from None


def provider_options(
    base_url: str | None = None,
    api_key_env: str | None = None,
    timeout: float = 300.0,
    *,
    device: str = "auto",
    dtype: str = "auto",
    batch: str = "auto",
    chat_template: Path | None = None,
    engine: Literal["transformers", "vllm"] = "transformers",
    num_workers: int = 0,
    num_gpus_per_worker: float = 0.0,
) -> ProviderOptions:
    """Connection and local-model settings from the command line, as the providers take them."""
    from judgebench.providers import LocalOptions, ProviderOptions

    local = LocalOptions(
        device=device,
        dtype=dtype,
        batch_size=batch_size(batch),
        chat_template=str(chat_template) if chat_template else None,
        engine=engine,
        num_workers=num_workers,
        num_gpus_per_worker=num_gpus_per_worker,
    )
    options = ProviderOptions(base_url=base_url, timeout=timeout, api_key_env=api_key_env, local=local)
    options.check()  # a bad --base-url stops here, before any file is read or call made
    return options
