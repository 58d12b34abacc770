"""Planning a judge run: which records it needs, each rendered and keyed for resume.

**Identity model.** Two keys, for two different things:

- A **call** is keyed by its content (:func:`call_key`): the judge id, the
  rendered messages (so prompt, question, answers and references) and the
  decoding settings. Equal keys are the same purchase: a run buys each
  distinct call once however many records need it, and never buys a call
  whose verdict is already on disk — the verdict is copied into the new record,
  which is marked ``reused`` (with ``attempts`` 0 and no usage).
- A **record** is keyed by what it is about (:func:`record_id`): the bench
  (its folder), question, turn, judge, prompt, and the judged model — or, for
  a pair game, the model shown as assistant A and the one shown as B (which
  fixes both the unordered pair and the game order). Every model gets its own
  record even when its answer's text equals another model's; one pair game
  serves every mode that needs it (``--baseline``, ``--all-pairs``, a later
  baseline), whichever way round that mode names the pair.

A record is finished when a record with its identity and its current call key
is on disk (a failed call is not finished: the next run retries it). When an
answer is regenerated, the call key changes, so its records are judged again.

**Unreadable verdicts.** A call the judge answered without a readable verdict
(after ``reasks`` follow-ups) is stored as ``unparsed`` (``truncated`` when cut
off at the token limit): it was paid for, so a plain rerun does not buy it again
and the run's summary counts it, naming the fix. ``--retry-unparsed``
(:attr:`JudgeJob.retry_unparsed`) asks exactly those records again — the
latest record of each identity and call that is unreadable, nothing else — as
new calls, counted as re-asks (``JudgeRun.retried``) in the calls bought; the
new record is appended and supersedes the old one, since statistics keep the
last record of each identity (:func:`judgebench.stats.latest_judgments`,
:func:`judgebench.stats.latest_games`), so no verdict is counted twice. An
unreadable reply is never copied to another record while retrying. A run whose
every judgment is unreadable exits non-zero with that advice.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from judgebench.errors import UsageError
from judgebench.judging import (
    REFERENCE_CATEGORIES,
    JudgeKind,
    prompt_format,
    render_pair,
    render_single,
    select_prompt,
    verdict_only,
)
from judgebench.providers import Decoding, ProviderOptions
from judgebench.providers.local import is_local_model
from judgebench.providers.retry import RetryPolicy
from judgebench.reasoning import split_reasoning
from judgebench.records import (
    Answer,
    HumanVote,
    JudgePrompt,
    Judgment,
    Message,
    PairGame,
    PairScore,
    Question,
    content_hash,
)
from judgebench.storage import DEFAULT_QUESTION_SET, Warn, bundled_dir, load_answers, load_judge_prompts

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

DEFAULT_PROMPTS = "jb-v1"
"""The bundled judge-prompt file used unless ``--prompts`` names another."""


@dataclass(frozen=True)
class JudgeJob:
    """Everything ``judge`` needs.

    Attributes:
        judge: the judge's ``provider/model`` id.
        mode: ``single`` (1–10 grades), ``pairwise`` (both orders) or ``pair-score``
            (both answers in one prompt, a 1–10 score for each; both orders).
        questions: question set name or path; its name is the bench.
        results_dir: root of the results tree.
        models: names of the judged models (default: every answers file).
        baseline: pairwise, pair-score: compare each model with this one (``model_1``).
        all_pairs: pairwise, pair-score: compare every pair of models.
        prompts: judge-prompt file (default: the bundled ``jb-v1``).
        parallel: judge calls in flight (``None``: 8, or what an in-process judge wants).
        temperature: judge temperature (0: deterministic).
        max_tokens: judge reply limit.
        reasks: follow-ups asking for the verdict after an unparsable reply.
        reference_categories: categories judged against reference answers.
        limit: judge only the first N questions.
        question_ids: judge only these questions.
        dry_run: plan and count, make no call.
        verdict: ``text`` (parse the reply), ``logprobs`` (read token probabilities),
            ``auto`` (logprobs for in-process judges, text otherwise).
        provider_options: base URL, timeout, key variable of the judge.
        retry: retry bounds per call.
        max_cost: stop starting judge calls once this many dollars are spent.
        prices: a price file overriding the built-in table.
        batch: use the vendor's batch API (half price; no re-asks).
        batch_poll: seconds between looks at a running batch.
        batch_wait: seconds to wait for a batch before leaving it to a later run.
        reasoning_effort: a reasoning judge's effort (OpenAI's ``reasoning_effort``), if set.
        references: the reference set to use: a file of the bench's
            ``reference_answer/`` (``gpt-4``) or a path; default: ``gpt-4`` or
            the only one, else the questions' inline ``reference`` fields.
        require_references: refuse to judge when a reference-guided question
            lacks a reference answer for a turn.
        preset: ``mt-bench``: FastChat's official setup (see
            :mod:`judgebench.pipeline.presets`).
        pairs_from: pairwise: judge exactly the (question, turn, model pair)
            items of this votes file (e.g. ``mt-bench-human``'s
            ``votes/human.jsonl``), instead of ``baseline``/``all_pairs``;
            single: grade exactly the (question, turn, model) answer turns
            those items show, no other turn.
        retry_unparsed: ask again the records whose latest reply on disk had
            no readable verdict (``unparsed``/``truncated``); see the module docs.
    """

    judge: str
    mode: Literal["single", "pairwise", "pair-score"] = "single"
    questions: str = DEFAULT_QUESTION_SET
    results_dir: Path = Path("results")
    models: tuple[str, ...] = ()
    baseline: str | None = None
    all_pairs: bool = False
    prompts: str = DEFAULT_PROMPTS
    parallel: int | None = None
    temperature: float = 0.0
    max_tokens: int = 2048
    reasks: int = 2
    reference_categories: frozenset[str] = REFERENCE_CATEGORIES
    limit: int | None = None
    question_ids: tuple[str, ...] = ()
    dry_run: bool = False
    verdict: Literal["auto", "text", "logprobs"] = "auto"
    provider_options: ProviderOptions = field(default_factory=ProviderOptions)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_cost: float | None = None
    prices: Path | None = None
    batch: bool = False
    batch_poll: float = 30.0
    batch_wait: float = 24 * 3600.0
    reasoning_effort: str | None = None
    references: str | None = None
    require_references: bool = False
    preset: str | None = None
    pairs_from: Path | None = None
    retry_unparsed: bool = False

    @property
    def verdict_mode(self) -> Literal["text", "logprobs"]:
        """``verdict`` with ``auto`` decided by the judge: probabilities where the engine computes them.

        In-process judges on the transformers engine read verdicts from their logits;
        the vLLM engine has no probability-verdict path, so ``auto`` reads its text,
        and so does paired scoring (two scores have no single-token reading).
        """
        if self.verdict == "auto":
            scorable = is_local_model(self.judge) and not self._vllm and self.mode != "pair-score"
            return "logprobs" if scorable else "text"
        return self.verdict

    @property
    def _vllm(self) -> bool:
        return is_local_model(self.judge) and self.provider_options.local.engine == "vllm"

    def check(self) -> None:
        """Reject option combinations that cannot work."""
        if not self.judge:
            raise UsageError("--judge is required (e.g. --judge openai/gpt-4o), unless --preset names one")
        if self.max_cost is not None and self.max_cost <= 0:
            raise UsageError(f"--max-cost {self.max_cost}: must be more than 0 dollars")
        if self.parallel is not None and self.parallel < 1:
            raise UsageError(f"--parallel {self.parallel}: must be at least 1")
        if self.reasks < 0:
            raise UsageError(f"--reasks {self.reasks}: must be 0 or more")
        if self.verdict == "logprobs" and self._vllm:
            raise UsageError(
                "--verdict logprobs: the vLLM engine has no probability verdicts — use --verdict text "
                "(or auto), or --engine transformers"
            )
        if self.verdict == "logprobs" and self.batch:
            raise UsageError("--verdict logprobs cannot be used with --batch — use --verdict text")
        designs = (self.baseline is not None) + self.all_pairs + (self.pairs_from is not None)
        if self.mode == "pairwise" and designs != 1:
            raise UsageError(
                "--mode pairwise needs exactly one of --baseline MODEL or --all-pairs (or --pairs-from VOTES)"
            )
        if self.mode == "pair-score" and self.pairs_from is not None:
            raise UsageError("--pairs-from is for --mode pairwise; with pair-score use --baseline MODEL or --all-pairs")
        if self.mode == "pair-score" and designs != 1:
            raise UsageError("--mode pair-score needs exactly one of --baseline MODEL or --all-pairs")
        if self.mode == "single" and (self.baseline is not None or self.all_pairs):
            raise UsageError("--baseline and --all-pairs are for --mode pairwise (or pair-score)")
        if self.mode == "pair-score" and self.verdict == "logprobs":
            raise UsageError(
                "--verdict logprobs: paired scoring's two scores have no probability reading — use --verdict text"
            )
        if self.mode == "pair-score" and self.preset is not None:
            raise UsageError(f"--preset {self.preset}: FastChat's setup has no paired scoring — drop --preset")
        if not self.batch and (self.batch_poll != 30.0 or self.batch_wait != 24 * 3600.0):
            raise UsageError("--batch-poll and --batch-wait are for --batch runs; add --batch or drop them")


Verdict = float | Literal["A", "B", "tie"]
"""A parsed verdict: a score, or the display slot that won."""


RecordId = tuple[str | int, ...]
"""What a record is about: ``("single", question_id, turn, model, judge, prompt)``,
``("pair", question_id, turn, model shown as A, model shown as B, judge, prompt)`` or the
same with ``"pairscore"`` for a paired-scoring game."""


def record_id(record: Judgment | PairGame | PairScore) -> RecordId:
    """The identity of a judgment record on disk (see the module docs).

    A pair game is named by who was shown where, so game 1 of (a, b) and game 2
    of (b, a) are the same record:

    >>> g = dict(question_id=1, turn=1, judge="j", prompt="p")
    >>> record_id(PairGame(model_1="a", model_2="b", game=1, **g)) == record_id(
    ...     PairGame(model_1="b", model_2="a", game=2, **g))
    True
    >>> record_id(Judgment(model="a", **g))
    ('single', '1', 1, 'a', 'j', 'p')
    >>> record_id(PairScore(model_1="a", model_2="b", game=2, **g))
    ('pairscore', '1', 1, 'b', 'a', 'j', 'p')
    """
    if isinstance(record, Judgment):
        return ("single", str(record.question_id), record.turn, record.model, record.judge, record.prompt)
    shown = (record.model_1, record.model_2) if record.game == 1 else (record.model_2, record.model_1)
    tag = "pairscore" if isinstance(record, PairScore) else "pair"
    return (tag, str(record.question_id), record.turn, *shown, record.judge, record.prompt)


def answer_hash(turns: Sequence[str]) -> str:
    """Hash of an answer's turns up to the judged one (what a judgment's ``answer_hashes`` holds)."""
    return content_hash(list(turns))


@dataclass(frozen=True)
class JudgeWork:
    """One record to write, with the call that gives its verdict.

    Attributes:
        key: the call key (:func:`call_key`); records sharing it share one call.
        messages: what the judge is sent.
        prompt: the judge prompt used.
        question: the question judged.
        turn: 1-based turn judged.
        model: single: the judged model.
        pair: pairwise and pair-score: ``(model_1, model_2)``.
        game: 0 (single), 1 (``model_1`` shown as A) or 2 (``model_2`` as A).
        judge: the judge's id.
        answer_hashes: judged model → :func:`answer_hash` of the turns the judge saw.
        legacy_keys: keys older records may carry for the same call (pair games
            were keyed with their game number).
    """

    key: str
    messages: tuple[Message, ...]
    prompt: JudgePrompt
    question: Question
    turn: int
    model: str = ""
    pair: tuple[str, str] = ("", "")
    game: Literal[0, 1, 2] = 0
    judge: str = ""
    answer_hashes: Mapping[str, str] = field(default_factory=dict, hash=False)
    legacy_keys: tuple[str, ...] = ()

    @property
    def identity(self) -> RecordId:
        """What the record is about (:func:`record_id` of the record it becomes)."""
        qid = str(self.question.question_id)
        if self.game == 0:
            return ("single", qid, self.turn, self.model, self.judge, self.prompt.name)
        shown = self.pair if self.game == 1 else (self.pair[1], self.pair[0])
        tag = "pairscore" if self.scored else "pair"
        return (tag, qid, self.turn, *shown, self.judge, self.prompt.name)

    @property
    def scored(self) -> bool:
        """A paired-scoring game (a 1–10 score for each answer), not a pairwise preference."""
        return self.prompt.kind == "pair-score"


@dataclass
class JudgePlan:
    """The records a judge job needs, and the answer turns it cannot judge.

    Attributes:
        work: every record the job needs (finished or not), rendered and keyed.
        missing: answer turns that exist but cannot be judged: failed, too
            short, or made for a question edited since (stale).
        unanswered: answer turns of questions a model has no answer for at all
            (e.g. after ``gen-answers --limit``).
    """

    work: list[JudgeWork]
    missing: int = 0
    unanswered: int = 0


def call_key(judge: str, messages: Sequence[Message], decoding: Decoding) -> str:
    """Key of one judge call: its content — judge id, rendered messages, decoding settings.

    The hash keeps the ``game: 0`` member every key had before records got
    their own identity, so single-grade records already on disk keep their key.

    >>> m = [Message("user", "grade this")]
    >>> d = Decoding(temperature=0.0, max_tokens=10)
    >>> call_key("openai/x", m, d) == judgment_key("openai/x", m, d, 0)
    True
    >>> call_key("openai/x", m, d) == call_key("openai/y", m, d)
    False
    """
    return judgment_key(judge, messages, decoding, 0)


def judgment_key(judge: str, messages: Sequence[Message], decoding: Decoding, game: int) -> str:
    """The key records were given before :func:`call_key`: the call's content and the game number.

    Pair games written by earlier versions carry ``judgment_key(…, game)``;
    :class:`JudgeWork` lists those forms in ``legacy_keys`` so they still count.

    >>> m = [Message("user", "grade this")]
    >>> d = Decoding(temperature=0.0, max_tokens=10)
    >>> judgment_key("openai/x", m, d, 1) == judgment_key("openai/x", m, d, 1)
    True
    >>> judgment_key("openai/x", m, d, 1) == judgment_key("openai/x", m, d, 2)
    False
    """
    return content_hash(
        {
            "judge": judge,
            "messages": [msg.to_dict() for msg in messages],
            "decoding": [decoding.temperature, decoding.max_tokens, decoding.seed, list(decoding.stop)],
            "game": game,
            # Only when set, so that keys made before the option existed stay valid.
            **({"reasoning_effort": decoding.reasoning_effort} if decoding.reasoning_effort else {}),
        }
    )


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
