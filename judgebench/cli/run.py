"""``run``: the whole loop, answers for each model → judgments → report, with the options of each step.

Every option of ``gen-answers`` and ``judge`` that applies to the steps ``run`` chains is taken here
under the same name, with the same help (the Annotated types of :mod:`.answers`, :mod:`.judge` and
:mod:`.options`). Left out: ``--name`` (several models), ``--dry-run`` (the judge step needs the
answers), and the judge's ``--temperature``/``--max-tokens`` (those names are the answers').
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

import typer

from judgebench.cli.answers import ANSWERING, answer, answer_job
from judgebench.cli.groups import takes
from judgebench.cli.judge import JUDGING, judge_all, judge_job
from judgebench.cli.options import CONNECTION, LOCAL, RUNNING, SELECTION, judge_panel_ids, provider_options
from judgebench.cli.render import failed_error
from judgebench.cli.reporting import FormatOption, run_report
from judgebench.errors import UsageError
from judgebench.pipeline.judge_job import JudgeJob
from judgebench.providers import LocalOptions, ProviderOptions

__all__ = ["ANSWER_ONLY", "run_command"]

ANSWER_ONLY = frozenset({"temperature", "max_tokens"})
"""``run``'s parameters that set the answers only, though the judge job has fields of the same names."""


@takes(JUDGING, SELECTION, ANSWERING, RUNNING, CONNECTION, LOCAL)
def run_command(
    models: Annotated[list[str], typer.Option("--model", "-m", help="A model to evaluate (provider/model); repeat.")],
    judge_base_url: Annotated[
        str | None,
        typer.Option("--judge-base-url", help="OpenAI-compatible server of the judge (default: --base-url)."),
    ] = None,
    fmt: FormatOption = "table",
    **options: Any,
) -> None:
    """The whole loop: answers for each model → judgments → report."""
    from judgebench.aliases import resolve_model
    from judgebench.pipeline.report import ReportJob
    from judgebench.providers import check_url
    from judgebench.providers.local import is_local_model, refuse_local_options

    models = [resolve_model(m) for m in models]  # answers are filed under the resolved ids
    named = judge_panel_ids(options["judge_id"], options["judges"])
    questions, preset, base_url = options["questions"], options["preset"], options["base_url"]
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
    given = provider_options(options, base_url=None)
    if not any(is_local_model(m) for m in [*models, *panel]):
        refuse_local_options(models[0] if models else panel[0], given.local)  # they would do nothing

    def options_for(model: str, url: str | None) -> ProviderOptions:
        """Local-model settings go to the local models only."""
        return replace(given, base_url=url, local=given.local if is_local_model(model) else LocalOptions())

    from judgebench.pricing import CommandBudget

    budget = CommandBudget(options["max_cost"])  # one --max-cost for every step
    failed = 0
    for m in models:
        job = answer_job(
            options, model=m, questions=questions, provider_options=options_for(m, base_url),
            max_cost=budget.left(f"answers of {m}"),
        )  # fmt: skip
        answered = answer(job, verbose=options["verbose"])
        failed += answered.failed
        budget.spend(answered.cost_usd)
    judging = judge_job(
        {name: value for name, value in options.items() if name not in ANSWER_ONLY},
        judge=panel[0],
        questions=questions,
        models=tuple(models),
        provider_options=options_for(panel[0], judge_base_url or base_url),
        max_cost=budget.left(f"judging by {', '.join(panel)}"),
    )
    judged = judge_all(panel, judging, verbose=options["verbose"])
    results_dir, baseline = options["results_dir"], options["baseline"]
    run_report(
        ReportJob(questions=questions, results_dir=results_dir, judges=panel, baseline=baseline, panel=len(panel) > 1),
        fmt,
    )
    if failed or judged:
        raise failed_error(failed + judged, "answer or judgment")
