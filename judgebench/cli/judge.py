"""The judge step: ``judge``, its options (``run`` takes them too) and the run it drives, one judge or a panel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from judgebench.cli.groups import build, group, takes
from judgebench.cli.options import (
    CONNECTION,
    LOCAL,
    RUNNING,
    SELECTION,
    DryRun,
    JudgeList,
    RetryUnparsed,
    judge_panel_ids,
    provider_options,
    retry_policy,
    split_ids,
)
from judgebench.cli.progress import RichObserver, share_verbose
from judgebench.cli.render import (
    announce_embedded,
    failed_error,
    print_judge_run,
    print_panel_dry_run,
    print_panel_judge,
    warn_toy_judge,
)
from judgebench.cli.reporting import Baseline
from judgebench.errors import Interrupted, JudgebenchError
from judgebench.pipeline.judge_job import JudgeJob

__all__ = [
    "JUDGING",
    "AllPairs",
    "Batch",
    "BatchPoll",
    "BatchWait",
    "JudgePanel",
    "Mode",
    "PairsFrom",
    "Preset",
    "Prompts",
    "Reasks",
    "ReasoningEffort",
    "References",
    "RequireReferences",
    "Verdict",
    "judge_all",
    "judge_command",
    "judge_job",
]

JudgePanel = Annotated[
    list[str] | None,
    typer.Option(
        "--judge",
        "-j",
        help="The judge model, provider/model (e.g. openai/gpt-4o); repeat for a judge panel, judged "
        "concurrently (--preset sets one).",
    ),
]
Mode = Annotated[
    Literal["single", "pairwise", "pair-score"],
    typer.Option(
        "--mode",
        help="single: grade 1–10; pairwise: compare in both orders; pair-score: score both answers 1–10 in "
        "one prompt, in both orders (the Vicuna evaluation; needs --baseline or --all-pairs).",
    ),
]
AllPairs = Annotated[bool, typer.Option("--all-pairs", help="Pairwise, pair-score: compare every pair of models.")]
Prompts = Annotated[str, typer.Option("--prompts", help="Judge prompts: a JSONL file, or a bundled set name (jb-v1).")]
Reasks = Annotated[int, typer.Option("--reasks", help="Follow-ups asking for a verdict it could not read.")]
Verdict = Annotated[
    Literal["auto", "text", "logprobs"],
    typer.Option(
        "--verdict",
        help="text: parse the judge's reply; logprobs: read the verdict's token probabilities "
        "(local judges on the transformers engine, or APIs that return logprobs); auto: logprobs for those "
        "local judges, text otherwise (the vLLM engine included).",
    ),
]
ReasoningEffort = Annotated[
    Literal["minimal", "low", "medium", "high"] | None,
    typer.Option(
        "--reasoning-effort",
        help="Reasoning judges' effort, passed through as OpenAI's reasoning_effort (openai/ models and "
        "compatible servers that take it); other providers refuse it.",
    ),
]
Batch = Annotated[
    bool, typer.Option("--batch", help="Use the OpenAI/Anthropic batch API: half price, results within a day.")
]
BatchPoll = Annotated[float, typer.Option("--batch-poll", help="Seconds between looks at a batch.")]
BatchWait = Annotated[
    float, typer.Option("--batch-wait", help="Seconds to wait for a batch; then exit 6 and collect it next run.")
]
References = Annotated[
    str | None,
    typer.Option(
        "--references",
        help="Reference set: a file of the bench's reference_answer/ (e.g. gpt-4) or a JSONL path "
        "(default: gpt-4 or the only one, else the questions' inline 'reference').",
    ),
]
RequireReferences = Annotated[
    bool,
    typer.Option(
        "--require-references",
        help="Refuse to judge if a math/reasoning/coding question lacks a reference answer for a turn.",
    ),
]
Preset = Annotated[
    str | None,
    typer.Option(
        "--preset",
        help="mt-bench: FastChat's official MT-Bench setup — its questions (unless -q), GPT-4 references, "
        "its judge prompts (from 'datasets pull mt-bench') and judge openai/gpt-4 (unless -j).",
    ),
]
PairsFrom = Annotated[
    Path | None,
    typer.Option(
        "--pairs-from",
        help="Pairwise: judge exactly the question/turn/model pairs of this votes file "
        "(e.g. mt-bench-human's votes/human.jsonl); single: grade exactly the voted answer turns.",
    ),
]


JUDGING = group(
    judge_id=(JudgePanel, None),
    judges=(JudgeList, None),
    mode=(Mode, JudgeJob.mode),
    baseline=(Baseline, JudgeJob.baseline),
    all_pairs=(AllPairs, JudgeJob.all_pairs),
    prompts=(Prompts, JudgeJob.prompts),
    reasks=(Reasks, JudgeJob.reasks),
    verdict=(Verdict, JudgeJob.verdict),
    reasoning_effort=(ReasoningEffort, JudgeJob.reasoning_effort),
    references=(References, JudgeJob.references),
    require_references=(RequireReferences, JudgeJob.require_references),
    preset=(Preset, JudgeJob.preset),
    pairs_from=(PairsFrom, JudgeJob.pairs_from),
    batch=(Batch, JudgeJob.batch),
    batch_poll=(BatchPoll, JudgeJob.batch_poll),
    batch_wait=(BatchWait, JudgeJob.batch_wait),
    retry_unparsed=(RetryUnparsed, JudgeJob.retry_unparsed),
)
"""Who judges and how (``judge``, and ``run``'s judge step)."""


def judge_all(judges: tuple[str, ...], job: JudgeJob, *, verbose: bool = False) -> int:
    """Run ``job`` once per judge (several judge as a panel, concurrently) and print each summary.

    Args:
        judges: the judges' ids; ``()`` leaves ``job.judge`` (a preset names it, or the job's check asks for one).
        job: everything but the judge.
        verbose: print every retry.

    Returns:
        The number of failed judgments, all judges together.

    Raises:
        JudgebenchError: every judgment of a judge has an unreadable verdict (one line with the fix).
        Interrupted: Ctrl-C; the judgments finished so far are saved.
    """
    from judgebench.pipeline.judge import judge, judge_panel

    for judge_id in judges:
        warn_toy_judge(judge_id)
    verbose = share_verbose(verbose)
    if not job.dry_run:
        for judge_id in judges:
            announce_embedded(judge_id)
    panel = len(judges) > 1
    title = f"judging ({job.mode}) with {len(judges)} judges" if panel else f"judging ({job.mode})"
    with RichObserver(title, verbose=verbose) as observer:
        try:
            if panel:
                runs = judge_panel([replace(job, judge=j) for j in judges], observer=observer).runs
            else:
                runs = (judge(replace(job, judge=judges[0]) if judges else job, observer=observer),)
        except KeyboardInterrupt:
            raise Interrupted("interrupted — finished judgments are saved; rerun the same command to resume") from None
    names = judges or ("",)
    for judge_id, run in zip(names, runs, strict=True):
        if panel:
            print_panel_judge(judge_id)
        print_judge_run(run, dry_run=job.dry_run, max_tokens=job.max_tokens)
    if panel and job.dry_run:
        print_panel_dry_run(names, runs, max_tokens=job.max_tokens)
    unread = [(j, r) for j, r in zip(names, runs, strict=True) if r.unreadable and not r.verdicts]
    if not job.dry_run and unread:
        from judgebench.records import UNREADABLE_FIX, counted

        who = f" by {', '.join(j for j, _ in unread)}" if panel else ""
        total = sum(r.unreadable for _, r in unread)
        raise JudgebenchError(
            f"no readable verdict{who}: the judge's replies to all {counted(total, 'judgment')} could not be "
            f"read — {UNREADABLE_FIX}"
        )
    return sum(run.failed for run in runs)


@takes(JUDGING, SELECTION, RUNNING, CONNECTION, LOCAL)
def judge_command(
    models: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Judge only these models (names of answers files); repeat. Default: all."),
    ] = None,
    temperature: Annotated[
        float, typer.Option("--temperature", help="Judge temperature (0: deterministic).")
    ] = JudgeJob.temperature,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Judge reply token limit.")] = JudgeJob.max_tokens,
    dry_run: DryRun = JudgeJob.dry_run,
    **options: Any,
) -> None:
    """Judge answers: single grades, or pairwise in both orders; math/reasoning/coding against references."""
    params = {"temperature": temperature, "max_tokens": max_tokens, "dry_run": dry_run, **options}
    panel = judge_panel_ids(options["judge_id"], options["judges"])  # none: --preset names it, or the job asks
    failed = judge_all(panel, judge_job(params, models=tuple(models or ())), verbose=options["verbose"])
    if failed:
        raise failed_error(failed, "judgment")


def judge_job(params: Mapping[str, Any], **given: object) -> JudgeJob:
    """The :class:`JudgeJob` (judge still unnamed) of a command's parameters; ``given`` wins."""
    fixed = {
        "judge": "",
        "question_ids": split_ids(params.get("question_ids")),
        "retry": retry_policy(params),
    }
    if "provider_options" not in given:  # run gives each step its own
        fixed["provider_options"] = provider_options(params)
    return build(JudgeJob, params, **(fixed | given))
