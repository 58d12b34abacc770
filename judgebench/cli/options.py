"""Options shared by several commands, declared once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from judgebench.cli.groups import build, group
from judgebench.errors import UsageError
from judgebench.pipeline.answer_job import AnswerJob
from judgebench.providers import LocalOptions, ProviderOptions
from judgebench.providers.options import RetryPolicy

__all__ = [
    "CONNECTION",
    "LOCAL",
    "RUNNING",
    "SELECTION",
    "ApiKeyEnv",
    "BaseUrl",
    "BatchSize",
    "ChatTemplate",
    "Device",
    "DryRun",
    "Dtype",
    "Engine",
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
    "retry_policy",
    "split_ids",
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


def split_ids(value: str | None) -> tuple[str, ...]:
    """``"1, 5,12"`` → ``("1", "5", "12")``.

    >>> split_ids("1, 5,12"), split_ids(None)
    (('1', '5', '12'), ())
    """
    return tuple(i.strip() for i in value.split(",") if i.strip()) if value else ()


def _local(flag: str, text: str) -> Any:
    """An option of in-process models, shown in their own help panel (``typer.Option`` is typed ``Any``)."""
    return typer.Option(flag, help=f"Local models: {text}", rich_help_panel="Local models")


Device = Annotated[str, _local("--device", "auto, cpu, cuda, cuda:N, mps.")]
Dtype = Annotated[
    str, _local("--dtype", "auto (CPU: bf16 if native else fp32; GPU: bf16/fp16), float32, bfloat16, float16.")
]
BatchSize = Annotated[str, _local("--batch-size", "requests per generate() call, or auto.")]
ChatTemplate = Annotated[Path | None, _local("--chat-template", "a Jinja chat template file.")]
Engine = Annotated[Literal["transformers", "vllm"], _local("--engine", "transformers, or vllm (GPU).")]
NumWorkers = Annotated[int, _local("--num-workers", "Ray workers, each with its own model copy (0: none).")]
NumGpusPerWorker = Annotated[float, _local("--num-gpus-per-worker", "GPUs per Ray worker.")]


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


def retry_policy(params: Mapping[str, Any]) -> RetryPolicy:
    """``--max-attempts`` (of a command's parameters) as the retry loop takes it: at least one call.

    >>> retry_policy({"max_attempts": 0}).max_attempts, retry_policy({"max_attempts": 3}).max_attempts
    (1, 3)
    """
    return RetryPolicy(max_attempts=max(1, int(params["max_attempts"])))


def provider_options(params: Mapping[str, Any], **given: object) -> ProviderOptions:
    """Connection and local-model settings from a command's parameters, as the providers take them.

    Args:
        params: the command's parameters by name: ``base_url``, ``api_key_env``, ``timeout`` and
            the local-model ones (``device``, ``dtype``, ``batch_size_``, ``chat_template``, ``engine``,
            ``num_workers``, ``num_gpus_per_worker``), those it has.
        given: :class:`~judgebench.providers.ProviderOptions` fields that win over ``params``
            (``run`` gives the judge its own ``base_url``).

    Raises:
        UsageError: a setting that cannot work (a bad ``--base-url``, a missing ``--chat-template``),
            before any file is read or call made.
    """
    template = params.get("chat_template")
    batch = params.get("batch_size_")
    local = build(
        LocalOptions,
        params,
        batch_size=batch_size(batch) if isinstance(batch, str) else None,
        chat_template=str(template) if template else None,
    )
    options = build(ProviderOptions, params, local=local, **given)
    options.check()
    return options


SELECTION = group(
    questions=(Questions, AnswerJob.questions),
    results_dir=(ResultsDir, AnswerJob.results_dir),
    limit=(Limit, AnswerJob.limit),
    question_ids=(QuestionIds, None),
)
"""Which questions, and where results go (``gen-answers``, ``judge``, ``run``)."""
RUNNING = group(
    parallel=(Parallel, AnswerJob.parallel),
    max_cost=(MaxCost, AnswerJob.max_cost),
    prices=(Prices, AnswerJob.prices),
    verbose=(Verbose, False),
)
"""How a step that buys calls runs: concurrency, budget, prices, retry lines."""
CONNECTION = group(
    base_url=(BaseUrl, ProviderOptions.base_url),
    api_key_env=(ApiKeyEnv, ProviderOptions.api_key_env),
    timeout=(Timeout, ProviderOptions.timeout),
    max_attempts=(MaxAttempts, RetryPolicy.max_attempts),
)
"""How calls reach a model: server, key, timeout, tries (:func:`provider_options`, :func:`retry_policy`)."""
LOCAL = group(
    device=(Device, LocalOptions.device),
    dtype=(Dtype, LocalOptions.dtype),
    batch_size_=(BatchSize, "auto"),
    chat_template=(ChatTemplate, None),
    engine=(Engine, LocalOptions.engine),
    num_workers=(NumWorkers, LocalOptions.num_workers),
    num_gpus_per_worker=(NumGpusPerWorker, LocalOptions.num_gpus_per_worker),
)
"""Settings of in-process models (:class:`~judgebench.providers.LocalOptions`)."""
