"""Planning a judge run: which records it needs, each rendered and keyed for resume.

The identity of records and calls (what makes a record finished, and a call the
same purchase) is in :mod:`judgebench.pipeline.judge_identity`; the job's options
in :mod:`judgebench.pipeline.judge_job`. Both are re-exported here.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from judgebench.errors import UsageError
from judgebench.judging import (
    JudgeKind,
    prompt_format,
    render_pair,
    render_single,
    select_prompt,
    verdict_only,
)
from judgebench.pipeline.judge_identity import (
    JudgePlan,
    JudgeWork,
    RecordId,
    Verdict,
    answer_hash,
    call_key,
    judgment_key,
    record_id,
)
from judgebench.pipeline.judge_job import DEFAULT_PROMPTS, JudgeJob
from judgebench.providers import Decoding
from judgebench.reasoning import split_reasoning
from judgebench.records import (
    Answer,
    HumanVote,
    JudgePrompt,
    Question,
)
from judgebench.storage import Warn, bundled_dir, load_answers, load_judge_prompts

__all__ = [
    "DEFAULT_PROMPTS",
    "JudgeJob",
    "JudgePlan",
    "JudgeWork",
    "RecordId",
    "Verdict",
    "answer_hash",
    "call_key",
    "discover_answers",
    "judged_models",
    "judgment_key",
    "load_prompts",
    "plan_judgments",
    "record_id",
    "shown_turns",
    "voted_items",
]


def discover_answers(results_dir: Path, bench: str, warn: Warn | None = None) -> dict[str, Path]:
    """Answers files of a bench, by the model name recorded inside them."""
    found: dict[str, Path] = {}
    for path in sorted((results_dir / bench / "answers").glob("*.jsonl")):
        answers = load_answers(path, warn=warn) if warn else load_answers(path)
        if answers:
            found[next(iter(answers.values())).model_id] = path
    return found


def load_prompts(spec: str) -> dict[str, JudgePrompt]:
    """The judge prompts of a file or bundled set, each with a verdict format judgebench can read.

    Raises:
        UsageError: no such file or set, or a prompt's ``output_format`` names no format
            (the message names the file and the prompt).
        DataError: a bad record (``file:line``).
    """
    path = Path(spec).expanduser()
    if not path.is_file():
        bundled = bundled_dir("judge_prompts") / f"{spec}.jsonl"
        if not bundled.is_file():
            sets = ", ".join(sorted(p.stem for p in bundled_dir("judge_prompts").glob("*.jsonl")))
            raise UsageError(f"--prompts {spec!r}: no such file or bundled prompt set (bundled: {sets})")
        path = bundled
    prompts = load_judge_prompts(path)
    for prompt in prompts.values():
        try:
            prompt_format(prompt)
        except UsageError as exc:
            raise UsageError(f"{path}: {exc}") from None
    return prompts


VotedItem = tuple[str, int, str, str]
"""``(question_id as text, turn, model_1, model_2)`` with the two models in sorted order."""


def voted_items(votes: Iterable[HumanVote]) -> set[VotedItem]:
    """The distinct items a votes file voted on (either order of the two models is the same item).

    >>> v = HumanVote(81, "b", "a", "tie", "expert_0", 2)
    >>> sorted(voted_items([v, HumanVote(81, "a", "b", "model_a", "expert_1", 2)]))
    [('81', 2, 'a', 'b')]
    """
    items: set[VotedItem] = set()
    for v in votes:
        m1, m2 = sorted((v.model_a, v.model_b))
        items.add((str(v.question_id), v.turn, m1, m2))
    return items


def judged_models(job: JudgeJob, available: Mapping[str, Path], voted: Iterable[VotedItem] = ()) -> list[str]:
    """The models to judge: ``job.models``, else those of ``voted``, else every model with answers.

    Raises:
        UsageError: a wanted model has no answers, there is nothing to judge, or a
            pairwise or pair-score job has fewer than two models to compare.
    """
    in_votes = sorted({m for item in voted for m in item[2:]})
    wanted = list(job.models) or in_votes or sorted(available)
    if job.baseline is not None and job.baseline not in wanted:
        wanted.append(job.baseline)
    unknown = [m for m in wanted if m not in available]
    if unknown and not job.models and in_votes and job.pairs_from is not None:
        have = ", ".join(sorted(available)) or "none"
        raise UsageError(
            f"{job.pairs_from}: votes on {', '.join(unknown)}, which {'has' if len(unknown) == 1 else 'have'} no "
            f"answers in this bench (have: {have}) — answer with gen-answers first, or leave those votes out"
        )
    if unknown:
        have = ", ".join(sorted(available)) or "none — run gen-answers first"
        raise UsageError(f"no answers for {', '.join(unknown)} in this bench; have: {have}")
    if not wanted:
        raise UsageError("no answers to judge in this bench — run gen-answers first")
    if job.mode != "single" and job.pairs_from is None and len(set(wanted)) < 2:
        others = sorted(set(available) - set(wanted))
        fix = f"add one with -m ({', '.join(others)})" if others else "answer with a second model first (gen-answers)"
        raise UsageError(f"--mode {job.mode} compares two models or more; only {wanted[0]} would be judged — {fix}")
    return wanted


def _turns(answer: Answer | None, question: Question, turn: int) -> tuple[str, ...] | None:
    """The answer's turns as the judge sees them, or ``None`` if missing, failed, short, or stale.

    A reasoning block left in a turn (answers made before reasoning was split off, or imported)
    is not shown: the judge sees the final answer, unless the answers were made with
    ``--keep-reasoning``.
    """
    if answer is None or answer.status != "ok" or not answer.choices or len(answer.choices[0].turns) < turn:
        return None
    if answer.question_hash and answer.question_hash != question.content_hash:
        return None  # stale: the question changed after it was answered
    return shown_turns(answer)


def shown_turns(answer: Answer) -> tuple[str, ...]:
    """The first choice's turns as a judge is shown them (what ``answer_hashes`` hash).

    A reasoning block left in a turn (answers made before reasoning was split off, or
    imported) is cut off, unless the answers were made with ``--keep-reasoning``.
    """
    turns = answer.choices[0].turns if answer.choices else ()
    if answer.generation.get("keep_reasoning"):
        return tuple(turns)
    return tuple(split_reasoning(t).answer for t in turns)


def _check_format(job: JudgeJob, prompt: JudgePrompt) -> None:
    """Refuse, before any call, a prompt whose verdict format is unknown or cannot be read as the job asks."""
    fmt = prompt_format(prompt)
    if job.verdict_mode == "logprobs" and not fmt.probability_values:
        raise UsageError(
            f"--verdict {job.verdict}: judge prompt {prompt.name!r} uses the {fmt.name} verdict format, "
            "which has no probability reading — use --verdict text"
        )


def _pairs(job: JudgeJob, models: Sequence[str], voted: Collection[VotedItem] | None) -> list[tuple[str, str]]:
    """The ``(model_1, model_2)`` pairs a pairwise or pair-score job compares."""
    if voted is not None:
        return sorted({(m1, m2) for _, _, m1, m2 in voted if m1 in models and m2 in models})
    if job.baseline is not None:
        # The baseline is model_1 and is shown first in game 1, as Arena-Hard-Auto pairs a model with
        # its baseline; FastChat's preset keeps FastChat's order (the judged model first, its
        # ``make_match``), so its messages stay byte-identical.
        ours = job.preset is None
        return [(job.baseline, m) if ours else (m, job.baseline) for m in models if m != job.baseline]
    return list(itertools.combinations(models, 2))


def plan_judgments(
    job: JudgeJob,
    prompts: Mapping[str, JudgePrompt],
    questions: Sequence[Question],
    answers: Mapping[str, Mapping[str, Answer]],
    decoding: Decoding,
    voted: Collection[VotedItem] | None = None,
) -> JudgePlan:
    """Every record the job needs, rendered and keyed, and the answer turns it cannot judge.

    ``voted``: judge only these items — pairwise: each pair in sorted order;
    single: each (question, turn, model) of an item, so no turn nobody voted
    on is bought.
    Pair-score plans like pairwise (both orders, per turn, references where the
    category has them) with the ``pairscore-*`` prompts.
    """
    plan = JudgePlan([])
    models = list(answers)

    def turns_of(model: str, q: Question, turn: int) -> tuple[str, ...] | None:
        answer = answers[model].get(str(q.question_id))
        if answer is None:
            plan.unanswered += 1
            return None
        turns = _turns(answer, q, turn)
        if turns is None:
            plan.missing += 1
        return turns

    if job.mode == "single":
        graded = None if voted is None else {(q, t, m) for q, t, m1, m2 in voted for m in (m1, m2)}
        for model, q in itertools.product(models, questions):
            for turn in range(1, len(q.turns) + 1):
                if graded is not None and (str(q.question_id), turn, model) not in graded:
                    continue
                turns = turns_of(model, q, turn)
                if turns is None:
                    continue
                prompt = select_prompt(prompts, "single", q, turn, job.reference_categories)
                _check_format(job, prompt)
                messages = tuple(render_single(prompt, q, turns, turn))
                if job.verdict_mode == "logprobs":
                    messages = tuple(verdict_only(messages, "single"))
                key = call_key(job.judge, messages, decoding)
                hashes = {model: answer_hash(turns[:turn])}
                plan.work.append(
                    JudgeWork(key, messages, prompt, q, turn, model=model, judge=job.judge, answer_hashes=hashes)
                )
        return plan
    kind: JudgeKind = "pair-score" if job.mode == "pair-score" else "pairwise"
    for (m1, m2), q in itertools.product(_pairs(job, models, voted), questions):
        for turn in range(1, len(q.turns) + 1):
            if voted is not None and (str(q.question_id), turn, m1, m2) not in voted:
                continue
            unanswered = [m for m in (m1, m2) if str(q.question_id) not in answers[m]]
            if unanswered:
                plan.unanswered += 1
                continue
            t1 = _turns(answers[m1].get(str(q.question_id)), q, turn)
            t2 = _turns(answers[m2].get(str(q.question_id)), q, turn)
            if t1 is None or t2 is None:
                plan.missing += 1
                continue
            prompt = select_prompt(prompts, kind, q, turn, job.reference_categories)
            _check_format(job, prompt)
            hashes = {m1: answer_hash(t1[:turn]), m2: answer_hash(t2[:turn])}
            games: tuple[tuple[Literal[1, 2], tuple[str, ...], tuple[str, ...]], ...] = ((1, t1, t2), (2, t2, t1))
            for game, shown_a, shown_b in games:
                messages = tuple(render_pair(prompt, q, shown_a, shown_b, turn))
                if job.verdict_mode == "logprobs":
                    messages = tuple(verdict_only(messages, "pairwise"))
                key = call_key(job.judge, messages, decoding)
                legacy = (
                    ()
                    if kind == "pair-score"
                    else tuple(judgment_key(job.judge, messages, decoding, g) for g in (1, 2))
                )
                plan.work.append(
                    JudgeWork(key, messages, prompt, q, turn, pair=(m1, m2), game=game, judge=job.judge,
                              answer_hashes=hashes, legacy_keys=legacy)
                )  # fmt: skip
    return plan
