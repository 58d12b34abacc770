"""The answer step: ``gen-answers``, its options (``run`` takes them too) and the run it drives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from judgebench.cli.groups import build, group, takes
from judgebench.cli.options import (
    CONNECTION,
    LOCAL,
    RUNNING,
    SELECTION,
    DryRun,
    provider_options,
    retry_policy,
    split_ids,
)
from judgebench.cli.progress import RichObserver, share_verbose
from judgebench.cli.render import announce_embedded, failed_error, print_answer_run
from judgebench.errors import Interrupted
from judgebench.pipeline.answer_job import AnswerJob

if TYPE_CHECKING:
    from judgebench.pipeline.answers import AnswerRun

__all__ = [
    "ANSWERING",
    "AnswerMaxTokens",
    "AnswerSeed",
    "AnswerTemperature",
    "KeepReasoning",
    "NumChoices",
    "Stop",
    "System",
    "answer",
    "answer_job",
    "gen_answers_command",
]

AnswerMaxTokens = Annotated[int, typer.Option("--max-tokens", help="New-token limit per answer turn.")]
AnswerTemperature = Annotated[
    float | None,
    typer.Option(
        "--temperature",
        help="Fixed temperature of the answers. Default: per category (writing/roleplay 0.7, stem/humanities 0.1, "
        "math/coding/reasoning/extraction 0).",
    ),
]
NumChoices = Annotated[int, typer.Option("--num-choices", help="Conversations sampled per question.")]
AnswerSeed = Annotated[
    int | None, typer.Option("--seed", help="Sampling seed of the answers, where the model honours one.")
]
System = Annotated[str | None, typer.Option("--system", help="System prompt sent before each question.")]
Stop = Annotated[list[str] | None, typer.Option("--stop", help="A string that ends each reply; repeat.")]
KeepReasoning = Annotated[
    bool,
    typer.Option(
        "--keep-reasoning",
        help="Keep a reasoning model's <think>…</think> block in its answers, so the judge sees it and the "
        "model gets it back in later turns. Default: only the final answer; the reasoning is stored beside it.",
    ),
]

ANSWERING = group(
    max_tokens=(AnswerMaxTokens, AnswerJob.max_tokens),
    temperature=(AnswerTemperature, AnswerJob.temperature),
    num_choices=(NumChoices, AnswerJob.num_choices),
    seed=(AnswerSeed, AnswerJob.seed),
    system=(System, AnswerJob.system),
    stop=(Stop, None),
    keep_reasoning=(KeepReasoning, AnswerJob.keep_reasoning),
)
"""How each answer is asked for (``gen-answers``, and ``run``'s answer step)."""


def answer(job: AnswerJob, *, verbose: bool = False) -> AnswerRun:
    """Run the answer step of ``job`` with a progress bar and print its summary.

    Raises:
        Interrupted: Ctrl-C; the answers finished so far are saved.
    """
    from judgebench.pipeline.answers import gen_answers

    verbose = share_verbose(verbose)
    if not job.dry_run:
        announce_embedded(job.model)
    with RichObserver(f"answers {job.name or job.model}"[:40], verbose=verbose) as observer:
        try:
            run = gen_answers(job, observer=observer)
        except KeyboardInterrupt:
            raise Interrupted("interrupted — finished answers are saved; rerun the same command to resume") from None
    print_answer_run(run)
    return run


@takes(SELECTION, ANSWERING, RUNNING, CONNECTION, LOCAL)
def gen_answers_command(
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="provider/model: openai/gpt-4o-mini, anthropic/claude-sonnet-4-5, hf/<folder or hub id>, "
            "local/gemma-3-270m (offline), openai/<name> with --base-url for vLLM/Ollama/llama.cpp, "
            "fake/<name> for a dry run; or an alias (judgebench models list).",
        ),
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="Name to file the answers under (default: model id).")
    ] = AnswerJob.name,
    dry_run: DryRun = AnswerJob.dry_run,
    **options: Any,
) -> None:
    """Answer every question of a set with a model; resumable, results appended as they finish.

    Models: provider/model (openai/…, anthropic/…, hf/<folder or hub id>, local/gemma-3-270m),
    or a name from `judgebench models list`.
    """
    params = {"model": model, "name": name, "dry_run": dry_run, **options}
    failed = answer(answer_job(params), verbose=options["verbose"]).failed
    if failed:
        raise failed_error(failed, "answer")


def answer_job(params: Mapping[str, Any], **given: object) -> AnswerJob:
    """The :class:`AnswerJob` of a command's parameters (:data:`ANSWERING` and the shared groups); ``given`` wins."""
    fixed = {
        "question_ids": split_ids(params.get("question_ids")),
        "stop": tuple(params["stop"] or ()),
        "retry": retry_policy(params),
    }
    if "provider_options" not in given:  # run gives each step its own
        fixed["provider_options"] = provider_options(params)
    return build(AnswerJob, params, **(fixed | given))
