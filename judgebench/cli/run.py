"""``run``: the whole loop, answers for each model → judgments → report, with the options of each step.

Every option of ``gen-answers`` and ``judge`` that applies to the steps ``run`` chains is taken here
under the same name, with the same help (the Annotated types of :mod:`.answers`, :mod:`.judge` and
:mod:`.options`). Left out: ``--name`` (several models), ``--dry-run`` (the judge step needs the
answers), and the judge's ``--temperature``/``--max-tokens`` (those names are the answers').
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from judgebench.cli.answers import (
    AnswerMaxTokens,
    AnswerSeed,
    AnswerTemperature,
    KeepReasoning,
    NumChoices,
    Stop,
    System,
    answer,
)
from judgebench.cli.judge import (
    AllPairs,
    Batch,
    BatchPoll,
    BatchWait,
    JudgePanel,
    Mode,
    PairsFrom,
    Preset,
    Prompts,
    Reasks,
    ReasoningEffort,
    References,
    RequireReferences,
    Verdict,
    judge_all,
)
from judgebench.cli.options import (
    ApiKeyEnv,
    BaseUrl,
    BatchSize,
    ChatTemplate,
    Device,
    Dtype,
    Engine,
    JudgeList,
    Limit,
    MaxAttempts,
    MaxCost,
    NumGpusPerWorker,
    NumWorkers,
    Parallel,
    Prices,
    QuestionIds,
    Questions,
    ResultsDir,
    RetryUnparsed,
    Timeout,
    Verbose,
    build,
    judge_panel_ids,
    provider_options,
    retry_policy,
    split_ids,
)
from judgebench.cli.render import failed_error
from judgebench.cli.reporting import Baseline, FormatOption, run_report
from judgebench.errors import UsageError
from judgebench.pipeline.answers import AnswerJob
from judgebench.pipeline.judge_plan import JudgeJob
from judgebench.providers import LocalOptions, ProviderOptions
from judgebench.providers.retry import RetryPolicy

__all__ = ["ANSWER_ONLY", "register", "run_command"]

ANSWER_ONLY = frozenset({"temperature", "max_tokens"})
"""``run``'s parameters that set the answers only, though the judge job has fields of the same names."""


def register(app: typer.Typer) -> None:
    """Add ``run`` to ``app``."""
    app.command("run")(run_command)


def run_command(
    models: Annotated[list[str], typer.Option("--model", "-m", help="A model to evaluate (provider/model); repeat.")],
    judge_id: JudgePanel = None,
    mode: Mode = JudgeJob.mode,
    judges: JudgeList = None,
    baseline: Baseline = JudgeJob.baseline,
    all_pairs: AllPairs = JudgeJob.all_pairs,
    questions: Questions = JudgeJob.questions,
    results_dir: ResultsDir = JudgeJob.results_dir,
    prompts: Prompts = JudgeJob.prompts,
    parallel: Parallel = JudgeJob.parallel,
    limit: Limit = JudgeJob.limit,
    question_ids: QuestionIds = None,
    max_tokens: AnswerMaxTokens = AnswerJob.max_tokens,
    temperature: AnswerTemperature = AnswerJob.temperature,
    num_choices: NumChoices = AnswerJob.num_choices,
    seed: AnswerSeed = AnswerJob.seed,
    system: System = AnswerJob.system,
    stop: Stop = None,
    keep_reasoning: KeepReasoning = AnswerJob.keep_reasoning,
    reasks: Reasks = JudgeJob.reasks,
    verdict: Verdict = JudgeJob.verdict,
    reasoning_effort: ReasoningEffort = None,
    references: References = JudgeJob.references,
    require_references: RequireReferences = JudgeJob.require_references,
    pairs_from: PairsFrom = JudgeJob.pairs_from,
    batch: Batch = JudgeJob.batch,
    batch_poll: BatchPoll = JudgeJob.batch_poll,
    batch_wait: BatchWait = JudgeJob.batch_wait,
    device: Device = LocalOptions.device,
    dtype: Dtype = LocalOptions.dtype,
    batch_size_: BatchSize = "auto",
    chat_template: ChatTemplate = None,
    engine: Engine = LocalOptions.engine,
    num_workers: NumWorkers = LocalOptions.num_workers,
    num_gpus_per_worker: NumGpusPerWorker = LocalOptions.num_gpus_per_worker,
    base_url: BaseUrl = ProviderOptions.base_url,
    judge_base_url: Annotated[
        str | None,
        typer.Option("--judge-base-url", help="OpenAI-compatible server of the judge (default: --base-url)."),
    ] = None,
    api_key_env: ApiKeyEnv = ProviderOptions.api_key_env,
    timeout: Timeout = ProviderOptions.timeout,
    max_attempts: MaxAttempts = RetryPolicy.max_attempts,
    max_cost: MaxCost = None,
    prices: Prices = JudgeJob.prices,
    fmt: FormatOption = "table",
    preset: Preset = JudgeJob.preset,
    retry_unparsed: RetryUnparsed = JudgeJob.retry_unparsed,
    verbose: Verbose = False,
) -> None:
    """The whole loop: answers for each model → judgments → report."""
    params = dict(locals())
    from judgebench.aliases import resolve_model
    from judgebench.pipeline.report import ReportJob
    from judgebench.providers import check_url
    from judgebench.providers.local import is_local_model, refuse_local_options

    models = [resolve_model(m) for m in models]  # answers are filed under the resolved ids
    named = judge_panel_ids(judge_id, judges)
    if preset is not None:
        from judgebench.pipeline.presets import PRESETS, apply_preset

        if preset not in PRESETS:
            raise UsageError(f"--preset {preset!r}: unknown; available: {', '.join(sorted(PRESETS))}")
        apply_preset(JudgeJob(judge="", preset=preset))  # its files are there, before any answer is bought
        questions = PRESETS[preset].dataset if questions == JudgeJob.questions else questions
        named = named or (PRESETS[preset].judge,)
    panel = tuple(dict.fromkeys(resolve_model(j) for j in named))
    if not panel:
        raise UsageError("--judge: name the judge model, e.g. --judge openai/gpt-4o")
    for option, url in (("--base-url", base_url), ("--judge-base-url", judge_base_url)):
        if url is not None:
            check_url(url, option)  # before any call
    options = provider_options(params, base_url=None)
    if not any(is_local_model(m) for m in [*models, *panel]):
        refuse_local_options(models[0] if models else panel[0], options.local)  # they would do nothing

    def options_for(model: str, url: str | None) -> ProviderOptions:
        """Local-model settings go to the local models only."""
        return replace(options, base_url=url, local=options.local if is_local_model(model) else LocalOptions())

    from judgebench.pricing import CommandBudget

    budget = CommandBudget(max_cost)  # one --max-cost for every step
    ids = split_ids(question_ids)
    retry = retry_policy(max_attempts)
    failed = 0
    for m in models:
        answered = answer(
            build(
                AnswerJob,
                params,
                model=m,
                questions=questions,
                question_ids=ids,
                stop=tuple(stop or ()),
                provider_options=options_for(m, base_url),
                retry=retry,
                max_cost=budget.left(f"answers of {m}"),
            ),
            verbose=verbose,
        )
        failed += answered.failed
        budget.spend(answered.cost_usd)
    judge_job = build(
        JudgeJob,
        {name: value for name, value in params.items() if name not in ANSWER_ONLY},
        judge=panel[0],
        questions=questions,
        models=tuple(models),
        question_ids=ids,
        provider_options=options_for(panel[0], judge_base_url or base_url),
        retry=retry,
        max_cost=budget.left(f"judging by {', '.join(panel)}"),
    )
    judged = judge_all(panel, judge_job, verbose=verbose)
    run_report(
        ReportJob(questions=questions, results_dir=results_dir, judges=panel, baseline=baseline, panel=len(panel) > 1),
        fmt,
    )
    if failed or judged:
        raise failed_error(failed + judged, "answer or judgment")
