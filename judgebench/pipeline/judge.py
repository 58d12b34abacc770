"""``judge``: grade answers (single), compare them in both orders (pairwise), or score both in one prompt.

Paired scoring (``mode="pair-score"``, the Vicuna evaluation's design) shows both
answers in one prompt and reads a 1–10 score for each (``[[8, 6]]``), in both
orders; each game is a :class:`~judgebench.records.PairScore` with the scores
mapped back to the pair (``score_1`` is ``model_1``'s whichever was shown first).

Planning renders every judge message the run needs; each record is keyed by
what it is about and each call by its content (the identity model is described
in :mod:`judgebench.pipeline.judge_identity`). A record already on disk for the
same call with a verdict — or with a reply no parser could read, which
re-asking would buy again — is skipped, so a finished run makes zero
calls and editing one prompt or one answer re-judges exactly what it touches;
``retry_unparsed`` (``--retry-unparsed``) asks the unreadable ones again, and
only those (the rule is in :mod:`judgebench.pipeline.judge_identity`).
A record whose call was already made (for another model whose answer has the
same text, or for the same pair game named the other way round) copies that
verdict and is marked ``reused``; within a run each distinct call is made once.
Each prompt's ``output_format`` names its :class:`~judgebench.judging.verdicts.VerdictFormat`,
whose reader takes the final verdict of the reply's final answer. A judge reply
without a readable verdict is re-asked up to ``reasks`` times in the same
conversation — a reply cut off at its token limit counts as none, and its re-ask
gets twice the budget; each re-asked reply is kept on the record with its reason.
After that the judgment is stored as ``unparsed`` (``truncated`` when the last
reply was cut off) with its raw text. A call that fails is stored as ``failed``
and retried by the next run.

With ``verdict="logprobs"`` (the default for in-process judges on the
transformers engine) the judge is asked for the verdict alone and the verdict
is read from its token probabilities right after ``[[``
(:class:`~judgebench.providers.VerdictScorer`): the expected grade over 1–10,
or the most probable of A, B and tie, with the distribution kept in the
judgment's text. Such a verdict never fails to parse. The first such call is
made alone: a server that sends no probabilities stops the run there.
"""

from __future__ import annotations

from judgebench.pipeline.call_runs import run_calls
from judgebench.pipeline.judge_identity import call_key, judgment_key
from judgebench.pipeline.judge_job import DEFAULT_PROMPTS, JudgeJob
from judgebench.pipeline.judge_panel import PanelRun, judge_panel
from judgebench.pipeline.judge_plan import discover_answers
from judgebench.pipeline.judge_runner import JudgeRun
from judgebench.pipeline.judge_setup import prepare_run
from judgebench.pipeline.observer import NullObserver, Observer
from judgebench.pipeline.provenance import recorded_run
from judgebench.pricing import Budget
from judgebench.providers import Provider

__all__ = [
    "DEFAULT_PROMPTS",
    "JudgeJob",
    "JudgeRun",
    "PanelRun",
    "call_key",
    "discover_answers",
    "judge",
    "judge_panel",
    "judgment_key",
]


def judge(job: JudgeJob, *, provider: Provider | None = None, observer: Observer | None = None) -> JudgeRun:
    """Judge every planned item not yet judged; append records as they finish.

    Args:
        job: what to run.
        provider: a ready judge provider (tests inject one); default: built from ``job.judge``.
        observer: progress sink.

    Raises:
        JudgebenchError: bad input (before anything is written) or a failure
            that stops the run (a rejected key); finished work stays saved.
        BudgetReached: ``max_cost`` was reached; finished work stays saved.
    """
    observer = observer or NullObserver()
    prepared = prepare_run(job, provider, observer, Budget)
    if isinstance(prepared, JudgeRun):
        return prepared
    with recorded_run(prepared.job.results_dir, prepared.manifest) as tally:
        return run_calls(prepared.run(prepared.start(tally, observer)))
