"""The loop's commands: ``gen-answers``, ``judge`` and ``run`` (answers → judgments → report)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from judgebench.cli.options import (
    ApiKeyEnv,
    BaseUrl,
    BatchSize,
    ChatTemplate,
    Device,
    DryRun,
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
    judge_panel_ids,
    provider_options,
    split_ids,
)
from judgebench.cli.render import (
    RichObserver,
    announce_embedded,
    print_answer_run,
    print_judge_run,
    print_panel_judge,
    share_verbose,
    warn_toy_judge,
)
from judgebench.cli.reporting import Baseline, FormatOption, run_report
from judgebench.errors import Interrupted, JudgebenchError, UsageError

if TYPE_CHECKING:
    from judgebench.pipeline import AnswerRun
    from judgebench.providers import ProviderOptions

__all__ = ["register"]

Mode = Literal["single", "pairwise", "pair-score"]
VerdictMode = Literal["auto", "text", "logprobs"]
ReasoningEffort = Literal["minimal", "low", "medium", "high"]


def register(app: typer.Typer) -> None:
    """Add ``gen-answers``, ``judge`` and ``run`` to ``app``."""
    app.command("gen-answers")(gen_answers_command)
    app.command("judge")(judge_command)
    app.command("run")(run_command)


def _answers(
    model: str,
    questions: str,
    results_dir: Path,
    *,
    name: str | None = None,
    parallel: int | None = None,
    max_tokens: int = 1024,
    temperature: float | None = None,
    num_choices: int = 1,
    seed: int | None = None,
    limit: int | None = None,
    question_ids: tuple[str, ...] = (),
    system: str | None = None,
    stop: tuple[str, ...] = (),
    options: ProviderOptions | None = None,
    max_attempts: int = 6,
    max_cost: float | None = None,
    prices: Path | None = None,
    dry_run: bool = False,
    keep_reasoning: bool = False,
    verbose: bool = False,
) -> AnswerRun:
    """Run gen-answers and print its summary."""
    from judgebench.pipeline import AnswerJob, gen_answers
    from judgebench.providers import ProviderOptions
    from judgebench.providers.retry import RetryPolicy

    job = AnswerJob(
        model=model,
        questions=questions,
        results_dir=results_dir,
        name=name,
        parallel=parallel,
        max_tokens=max_tokens,
        temperature=temperature,
        num_choices=num_choices,
        seed=seed,
        limit=limit,
        question_ids=question_ids,
        system=system,
        stop=stop,
        provider_options=options or ProviderOptions(),
        retry=RetryPolicy(max_attempts=max(1, max_attempts)),
        max_cost=max_cost,
        prices=prices,
        dry_run=dry_run,
        keep_reasoning=keep_reasoning,
    )
    verbose = share_verbose(verbose)
    if not dry_run:
        announce_embedded(model)
    with RichObserver(f"answers {name or model}"[:40], verbose=verbose) as observer:
        try:
            run = gen_answers(job, observer=observer)
        except KeyboardInterrupt:
            raise Interrupted("interrupted — finished answers are saved; rerun the same command to resume") from None
    print_answer_run(run)
    return run


def _failed(count: int, what: str) -> JudgebenchError:
    plural = "s" if count != 1 else ""
    return JudgebenchError(
        f"{count} {what}{plural} failed (kept with their reasons) — rerun the same command to retry only those"
    )


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
    questions: Questions = "jb-80",
    results_dir: ResultsDir = Path("results"),
    name: Annotated[
        str | None, typer.Option("--name", help="Name to file the answers under (default: model id).")
    ] = None,
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = None,
    parallel: Parallel = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="New-token limit per turn.")] = 1024,
    temperature: Annotated[
        float | None,
        typer.Option(
            "--temperature",
            help="Fixed temperature. Default: per category (writing/roleplay 0.7, stem/humanities 0.1, "
            "math/coding/reasoning/extraction 0).",
        ),
    ] = None,
    num_choices: Annotated[int, typer.Option("--num-choices", help="Conversations sampled per question.")] = 1,
    seed: Annotated[int | None, typer.Option("--seed", help="Sampling seed, where the server honours one.")] = None,
    limit: Limit = None,
    question_ids: QuestionIds = None,
    system: Annotated[str | None, typer.Option("--system", help="System prompt sent before each question.")] = None,
    stop: Annotated[list[str] | None, typer.Option("--stop", help="A string that ends each reply; repeat.")] = None,
    keep_reasoning: Annotated[
        bool,
        typer.Option(
            "--keep-reasoning",
            help="Keep a reasoning model's <think>…</think> block in its answers, so the judge sees it and the "
            "model gets it back in later turns. Default: only the final answer; the reasoning is stored beside it.",
        ),
    ] = False,
    timeout: Timeout = 300.0,
    max_attempts: MaxAttempts = 6,
    max_cost: MaxCost = None,
    prices: Prices = None,
    dry_run: DryRun = False,
    device: Device = "auto",
    dtype: Dtype = "auto",
    batch_size_: BatchSize = "auto",
    chat_template: ChatTemplate = None,
    engine: Engine = "transformers",
    num_workers: NumWorkers = 0,
    num_gpus_per_worker: NumGpusPerWorker = 0.0,
    verbose: Verbose = False,
) -> None:
    """Answer every question of a set with a model; resumable, results appended as they finish.

    Models: provider/model (openai/…, anthropic/…, hf/<folder or hub id>, local/gemma-3-270m),
    or a name from `judgebench models list`.
    """
    options = provider_options(
        base_url,
        api_key_env,
        timeout,
        device=device,
        dtype=dtype,
        batch=batch_size_,
        chat_template=chat_template,
        engine=engine,
        num_workers=num_workers,
        num_gpus_per_worker=num_gpus_per_worker,
    )
    failed = _answers(
        model,
        questions,
        results_dir,
        name=name,
        parallel=parallel,
        max_tokens=max_tokens,
        temperature=temperature,
        num_choices=num_choices,
        seed=seed,
        limit=limit,
        question_ids=split_ids(question_ids),
        system=system,
        stop=tuple(stop or ()),
        options=options,
        max_attempts=max_attempts,
        max_cost=max_cost,
        prices=prices,
        dry_run=dry_run,
        keep_reasoning=keep_reasoning,
        verbose=verbose,
    ).failed
    if failed:
        raise _failed(failed, "answer")


Models = Annotated[
    list[str] | None,
    typer.Option("--model", "-m", help="Judge only these models (names of answers files); repeat. Default: all."),
]
AllPairs = Annotated[bool, typer.Option("--all-pairs", help="Pairwise, pair-score: compare every pair of models.")]
Prompts = Annotated[str, typer.Option("--prompts", help="Judge prompts: a JSONL file, or a bundled set name (jb-v1).")]


def _judge(
    judge_ids: tuple[str, ...],
    mode: Mode,
    questions: str,
    results_dir: Path,
    *,
    models: tuple[str, ...] = (),
    baseline: str | None = None,
    all_pairs: bool = False,
    prompts: str = "jb-v1",
    parallel: int | None = None,
    temperature: float = 0.0,
    max_tokens: int = 2048,
    reasks: int = 2,
    limit: int | None = None,
    question_ids: tuple[str, ...] = (),
    dry_run: bool = False,
    verdict: VerdictMode = "auto",
    options: ProviderOptions | None = None,
    max_attempts: int = 6,
    max_cost: float | None = None,
    prices: Path | None = None,
    batch: bool = False,
    batch_poll: float = 30.0,
    batch_wait: float = 86400.0,
    reasoning_effort: str | None = None,
    references: str | None = None,
    require_references: bool = False,
    preset: str | None = None,
    pairs_from: Path | None = None,
    retry_unparsed: bool = False,
    verbose: bool = False,
) -> int:
    """Run judge (one judge, or a panel of several) and print its summary; returns the number of failed judgments.

    Raises:
        JudgebenchError: every judgment of a judge's job has an unreadable verdict (one line with the fix).
    """
    from judgebench.pipeline.judge import JudgeJob, judge, judge_panel
    from judgebench.providers import ProviderOptions
    from judgebench.providers.retry import RetryPolicy

    job = JudgeJob(
        judge=judge_ids[0] if judge_ids else "",
        mode=mode,
        questions=questions,
        results_dir=results_dir,
        models=models,
        baseline=baseline,
        all_pairs=all_pairs,
        prompts=prompts,
        parallel=parallel,
        temperature=temperature,
        max_tokens=max_tokens,
        reasks=reasks,
        limit=limit,
        question_ids=question_ids,
        dry_run=dry_run,
        verdict=verdict,
        provider_options=options or ProviderOptions(),
        retry=RetryPolicy(max_attempts=max(1, max_attempts)),
        max_cost=max_cost,
        prices=prices,
        batch=batch,
        batch_poll=batch_poll,
        batch_wait=batch_wait,
        reasoning_effort=reasoning_effort,
        references=references,
        require_references=require_references,
        preset=preset,
        pairs_from=pairs_from,
        retry_unparsed=retry_unparsed,
    )
    for judge_id in judge_ids:
        warn_toy_judge(judge_id)
    verbose = share_verbose(verbose)
    if not dry_run:
        for judge_id in judge_ids:
            announce_embedded(judge_id)
    panel = len(judge_ids) > 1
    title = f"judging ({mode}) with {len(judge_ids)} judges" if panel else f"judging ({mode})"
    with RichObserver(title, verbose=verbose) as observer:
        try:
            if panel:
                runs = judge_panel([replace(job, judge=j) for j in judge_ids], observer=observer).runs
            else:
                runs = (judge(job, observer=observer),)
        except KeyboardInterrupt:
            raise Interrupted("interrupted — finished judgments are saved; rerun the same command to resume") from None
    for judge_id, run in zip(judge_ids or ("",), runs, strict=True):
        if panel:
            print_panel_judge(judge_id)
        print_judge_run(run, dry_run=dry_run, max_tokens=max_tokens)
    unread = [(j, r) for j, r in zip(judge_ids or ("",), runs, strict=True) if r.unreadable and not r.verdicts]
    if not dry_run and unread:
        from judgebench.records import UNREADABLE_FIX, counted

        who = f" by {', '.join(j for j, _ in unread)}" if panel else ""
        total = sum(r.unreadable for _, r in unread)
        raise JudgebenchError(
            f"no readable verdict{who}: the judge's replies to all {counted(total, 'judgment')} could not be "
            f"read — {UNREADABLE_FIX}"
        )
    return sum(run.failed for run in runs)


def judge_command(
    judge_id: Annotated[
        list[str] | None,
        typer.Option(
            "--judge",
            "-j",
            help="The judge model, provider/model (e.g. openai/gpt-4o); repeat for a judge panel, judged "
            "concurrently (--preset sets one).",
        ),
    ] = None,
    judges: JudgeList = None,
    mode: Annotated[
        Mode,
        typer.Option(
            "--mode",
            help="single: grade 1–10; pairwise: compare in both orders; pair-score: score both answers 1–10 in "
            "one prompt, in both orders (the Vicuna evaluation; needs --baseline or --all-pairs).",
        ),
    ] = ("single"),
    questions: Questions = "jb-80",
    results_dir: ResultsDir = Path("results"),
    models: Models = None,
    baseline: Baseline = None,
    all_pairs: AllPairs = False,
    prompts: Prompts = "jb-v1",
    parallel: Parallel = None,
    temperature: Annotated[float, typer.Option("--temperature", help="Judge temperature (0: deterministic).")] = 0.0,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Judge reply token limit.")] = 2048,
    reasks: Annotated[int, typer.Option("--reasks", help="Follow-ups asking for a verdict it could not read.")] = 2,
    limit: Limit = None,
    question_ids: QuestionIds = None,
    dry_run: DryRun = False,
    verdict: Annotated[
        VerdictMode,
        typer.Option(
            "--verdict",
            help="text: parse the judge's reply; logprobs: read the verdict's token probabilities "
            "(local judges on the transformers engine, or APIs that return logprobs); auto: logprobs for those "
            "local judges, text otherwise (the vLLM engine included).",
        ),
    ] = "auto",
    reasoning_effort: Annotated[
        ReasoningEffort | None,
        typer.Option(
            "--reasoning-effort",
            help="Reasoning judges' effort, passed through as OpenAI's reasoning_effort (openai/ models and "
            "compatible servers that take it); other providers refuse it.",
        ),
    ] = None,
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = None,
    timeout: Timeout = 300.0,
    max_attempts: MaxAttempts = 6,
    max_cost: MaxCost = None,
    prices: Prices = None,
    batch: Annotated[
        bool, typer.Option("--batch", help="Use the OpenAI/Anthropic batch API: half price, results within a day.")
    ] = False,
    batch_poll: Annotated[float, typer.Option("--batch-poll", help="Seconds between looks at a batch.")] = 30.0,
    batch_wait: Annotated[
        float, typer.Option("--batch-wait", help="Seconds to wait for a batch; then exit 6 and collect it next run.")
    ] = 86400.0,
    device: Device = "auto",
    dtype: Dtype = "auto",
    batch_size_: BatchSize = "auto",
    chat_template: ChatTemplate = None,
    engine: Engine = "transformers",
    num_workers: NumWorkers = 0,
    num_gpus_per_worker: NumGpusPerWorker = 0.0,
    references: Annotated[
        str | None,
        typer.Option(
            "--references",
            help="Reference set: a file of the bench's reference_answer/ (e.g. gpt-4) or a JSONL path "
            "(default: gpt-4 or the only one, else the questions' inline 'reference').",
        ),
    ] = None,
    require_references: Annotated[
        bool,
        typer.Option(
            "--require-references",
            help="Refuse to judge if a math/reasoning/coding question lacks a reference answer for a turn.",
        ),
    ] = False,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="mt-bench: FastChat's official MT-Bench setup — its questions (unless -q), GPT-4 references, "
            "its judge prompts (from 'datasets pull mt-bench') and judge openai/gpt-4 (unless -j).",
        ),
    ] = None,
    pairs_from: Annotated[
        Path | None,
        typer.Option(
            "--pairs-from",
            help="Pairwise: judge exactly the question/turn/model pairs of this votes file "
            "(e.g. mt-bench-human's votes/human.jsonl); single: grade exactly the voted answer turns.",
        ),
    ] = None,
    retry_unparsed: RetryUnparsed = False,
    verbose: Verbose = False,
) -> None:
    """Judge answers: single grades, or pairwise in both orders; math/reasoning/coding against references."""
    panel = judge_panel_ids(judge_id, judges)  # none: --preset names it, or JudgeJob.check says it is needed
    options = provider_options(
        base_url,
        api_key_env,
        timeout,
        device=device,
        dtype=dtype,
        batch=batch_size_,
        chat_template=chat_template,
        engine=engine,
        num_workers=num_workers,
        num_gpus_per_worker=num_gpus_per_worker,
    )
    failed = _judge(
        panel,
        mode,
        questions,
        results_dir,
        models=tuple(models or ()),
        baseline=baseline,
        all_pairs=all_pairs,
        prompts=prompts,
        parallel=parallel,
        temperature=temperature,
        max_tokens=max_tokens,
        reasks=reasks,
        limit=limit,
        question_ids=split_ids(question_ids),
        dry_run=dry_run,
        verdict=verdict,
        options=options,
        max_attempts=max_attempts,
        max_cost=max_cost,
        prices=prices,
        batch=batch,
        batch_poll=batch_poll,
        batch_wait=batch_wait,
        reasoning_effort=reasoning_effort,
        references=references,
        require_references=require_references,
        preset=preset,
        pairs_from=pairs_from,
        retry_unparsed=retry_unparsed,
        verbose=verbose,
    )
    if failed:
        raise _failed(failed, "judgment")


def run_command(
    models: Annotated[list[str], typer.Option("--model", "-m", help="A model to evaluate (provider/model); repeat.")],
    judge_id: Annotated[
        list[str] | None,
        typer.Option(
            "--judge",
            "-j",
            help="The judge model, provider/model (e.g. openai/gpt-4o); repeat for a judge panel (--preset sets one).",
        ),
    ] = None,
    mode: Annotated[Mode, typer.Option("--mode", help="single, pairwise or pair-score.")] = "single",
    judges: JudgeList = None,
    baseline: Baseline = None,
    all_pairs: AllPairs = False,
    questions: Questions = "jb-80",
    results_dir: ResultsDir = Path("results"),
    prompts: Prompts = "jb-v1",
    parallel: Parallel = None,
    limit: Limit = None,
    question_ids: QuestionIds = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="New-token limit per answer turn.")] = 1024,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Sampling seed of the answers, where the model honours one.")
    ] = None,
    verdict: Annotated[
        VerdictMode, typer.Option("--verdict", help="Judge verdicts: auto, text or logprobs (see judge --help).")
    ] = "auto",
    device: Device = "auto",
    dtype: Dtype = "auto",
    batch_size_: BatchSize = "auto",
    base_url: BaseUrl = None,
    judge_base_url: Annotated[
        str | None,
        typer.Option("--judge-base-url", help="OpenAI-compatible server of the judge (default: --base-url)."),
    ] = None,
    api_key_env: ApiKeyEnv = None,
    max_cost: MaxCost = None,
    prices: Prices = None,
    fmt: FormatOption = "table",
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="mt-bench: FastChat's official MT-Bench setup, as on judge — its questions (unless -q), GPT-4 "
            "references, its judge prompts and judge openai/gpt-4 (unless -j).",
        ),
    ] = None,
    retry_unparsed: RetryUnparsed = False,
    verbose: Verbose = False,
) -> None:
    """The whole loop: answers for each model → judgments → report."""
    from judgebench.aliases import resolve_model
    from judgebench.pipeline.report import ReportJob
    from judgebench.providers import ProviderOptions, check_url
    from judgebench.providers.local import is_local_model, refuse_local_options

    models = [resolve_model(m) for m in models]  # answers are filed under the resolved ids
    named = judge_panel_ids(judge_id, judges)
    if preset is not None:
        from judgebench.pipeline.judge_plan import JudgeJob
        from judgebench.pipeline.presets import PRESETS, apply_preset

        if preset not in PRESETS:
            raise UsageError(f"--preset {preset!r}: unknown; available: {', '.join(sorted(PRESETS))}")
        apply_preset(JudgeJob(judge="", preset=preset))  # its files are there, before any answer is bought
        questions = PRESETS[preset].dataset if questions == "jb-80" else questions
        named = named or (PRESETS[preset].judge,)
    panel = tuple(dict.fromkeys(resolve_model(j) for j in named))
    if not panel:
        raise UsageError("--judge: name the judge model, e.g. --judge openai/gpt-4o")
    judge = panel[0]
    ids = split_ids(question_ids)
    local = provider_options(device=device, dtype=dtype, batch=batch_size_).local
    if not any(is_local_model(m) for m in [*models, *panel]):
        refuse_local_options(models[0] if models else judge, local)  # they would do nothing

    def options_for(model: str, url: str | None) -> ProviderOptions:
        """Local-model settings go to the local models only."""
        given = ProviderOptions(base_url=url, api_key_env=api_key_env)
        return replace(given, local=local) if is_local_model(model) else given

    for option, url in (("--base-url", base_url), ("--judge-base-url", judge_base_url)):
        if url is not None:
            check_url(url, option)  # before any call

    from judgebench.pricing import CommandBudget

    budget = CommandBudget(max_cost)  # one --max-cost for every step
    failed = 0
    for m in models:
        answered = _answers(
            m,
            questions,
            results_dir,
            parallel=parallel,
            max_tokens=max_tokens,
            seed=seed,
            limit=limit,
            question_ids=ids,
            options=options_for(m, base_url),
            max_cost=budget.left(f"answers of {m}"),
            prices=prices,
            verbose=verbose,
        )
        failed += answered.failed
        budget.spend(answered.cost_usd)
    judged = _judge(
        panel,
        mode,
        questions,
        results_dir,
        models=tuple(models),
        baseline=baseline,
        all_pairs=all_pairs,
        prompts=prompts,
        parallel=parallel,
        limit=limit,
        question_ids=ids,
        verdict=verdict,
        options=options_for(judge, judge_base_url or base_url),
        max_cost=budget.left(f"judging by {', '.join(panel)}"),
        prices=prices,
        preset=preset,
        retry_unparsed=retry_unparsed,
        verbose=verbose,
    )
    run_report(
        ReportJob(questions=questions, results_dir=results_dir, judges=panel, baseline=baseline, panel=len(panel) > 1),
        fmt,
    )
    if failed or judged:
        raise _failed(failed + judged, "answer or judgment")
