"""The calls of one ``gen-answers`` run: each question's turns asked in order, each answer appended as it finishes.

Every call is journaled (:class:`~judgebench.storage.CallJournal`) before the
next one starts, so a crash loses at most the calls in flight and a rerun takes
finished calls from the journal instead of paying for them again.
"""

from __future__ import annotations

import time
import uuid

from judgebench.pipeline.answer_job import AnswerJob
from judgebench.pipeline.call_runs import CallRunner
from judgebench.pipeline.observer import Observer
from judgebench.pipeline.provenance import RunTally
from judgebench.pipeline.selection import temperature_for
from judgebench.pricing import Budget
from judgebench.providers import Decoding, Provider
from judgebench.providers.retry import CallFailed, complete_with_retry
from judgebench.reasoning import split_reasoning
from judgebench.records import Answer, Choice, Message, Question, Usage, content_hash
from judgebench.storage import (
    CallJournal,
    JsonlAppender,
)

__all__ = ["AnswerRunner", "generation"]


def generation(job: AnswerJob, question: Question) -> dict[str, object]:
    """The settings that decide an answer's text (its first choice's), as stored in the record."""
    temperature = job.temperature if job.temperature is not None else temperature_for(question.category)
    wanted: dict[str, object] = {"temperature": temperature, "max_tokens": job.max_tokens, "seed": job.seed}
    wanted["system"] = job.system
    if job.stop:  # only recorded when used, so answers made before stop strings existed stay valid
        wanted["stop"] = list(job.stop)
    if job.keep_reasoning:
        wanted["keep_reasoning"] = True
    return wanted


class _BudgetStop(Exception):
    """No new call may start: ``--max-cost`` is reached."""


class AnswerRunner(CallRunner):
    """Answers questions; shared state of one run."""

    def __init__(
        self,
        job: AnswerJob,
        name: str,
        provider: Provider,
        journal: CallJournal,
        out: JsonlAppender,
        observer: Observer,
        budget: Budget,
        tally: RunTally,
    ) -> None:
        super().__init__(provider, observer, budget, tally, job.parallel)
        self.job = job
        self.name = name
        self.journal = journal
        self.out = out
        self.answered = 0
        self.journal_hits = 0

    def _decoding(self, question: Question, choice: int) -> Decoding:
        temperature = self.job.temperature if self.job.temperature is not None else temperature_for(question.category)
        seed = None if self.job.seed is None else self.job.seed + choice
        return Decoding(temperature=temperature, max_tokens=self.job.max_tokens, seed=seed, stop=self.job.stop)

    async def _call(self, messages: list[Message], decoding: Decoding, choice: int) -> tuple[str, str | None, Usage]:
        key = content_hash(
            {
                "model": self.provider.model_id,
                "messages": [m.to_dict() for m in messages],
                "decoding": [decoding.temperature, decoding.max_tokens, decoding.seed, list(decoding.stop)],
                "choice": choice,
            }
        )
        cached = self.journal.get(key)
        if cached is not None:
            self.journal_hits += 1
            return cached["text"], cached.get("reasoning"), Usage()
        if self.budget.exhausted:
            raise _BudgetStop
        completion = await complete_with_retry(
            self.provider, messages, decoding, self.job.retry, on_retry=self.observer.retry, breaker=self.breaker
        )
        self.journal.put(
            key,
            {
                "model": self.provider.model_id,
                "text": completion.text,
                "input_tokens": completion.input_tokens,
                "output_tokens": completion.output_tokens,
                "finish_reason": completion.finish_reason,
                "reasoning": completion.reasoning,
                "tstamp": time.time(),
            },
        )
        cost = completion.usage
        self.spend(cost)
        return completion.text, completion.reasoning, cost

    def _final(self, text: str, apart: str | None) -> tuple[str, str]:
        r"""The turn's answer (shown to judges and sent back next turn) and its reasoning.

        >>> r = AnswerRunner.__new__(AnswerRunner)
        >>> r.job = AnswerJob("fake/m")
        >>> r._final("<think>\n17*23 = 391\n</think>\n\n391.", None)
        ('391.', '17*23 = 391')
        >>> r._final("391.", "17*23 = 391")
        ('391.', '17*23 = 391')
        >>> r.job = AnswerJob("fake/m", keep_reasoning=True)
        >>> r._final("391.", "17*23 = 391")
        ('<think>\n17*23 = 391\n</think>\n\n391.', '17*23 = 391')
        """
        split = split_reasoning(text)
        reasoning = apart or split.reasoning
        if not self.job.keep_reasoning:
            return split.answer, reasoning
        if apart:
            return f"<think>\n{apart}\n</think>\n\n{text}", reasoning
        return text, reasoning

    async def answer(self, question: Question) -> None:
        """Answer ``question`` (every choice, its turns in order) and append its record; stop quietly at the budget."""
        try:
            await self._answer(question)
        except _BudgetStop:
            self.stopped = True  # finished turns are in the journal; the next run picks up from there

    async def _answer(self, question: Question) -> None:
        async with self.slots:
            choices: list[Choice] = []
            spent = Usage()
            error: str | None = None
            for index in range(self.job.num_choices):
                decoding = self._decoding(question, index)
                messages = [Message("system", self.job.system)] if self.job.system else []
                turns: list[str] = []
                raw: list[str] = []
                reasoning: list[str] = []
                for number, prompt in enumerate(question.turns, start=1):
                    messages.append(Message("user", prompt))
                    try:
                        text, apart, cost = await self._call(messages, decoding, index)
                    except CallFailed as exc:
                        error = f"turn {number}: {exc.reason}"
                        break
                    spent += cost
                    answer, thought = self._final(text, apart)
                    turns.append(answer)
                    raw.append(text)
                    reasoning.append(thought)
                    messages.append(Message("assistant", answer))
                choices.append(Choice(index, tuple(turns), tuple(raw), tuple(reasoning)))
                if error:
                    break
            record = Answer(
                question_id=question.question_id,
                model_id=self.name,
                model=self.provider.model_id,
                choices=tuple(choices),
                status="failed" if error else "ok",
                error=error,
                question_hash=question.content_hash,
                answer_id=uuid.uuid4().hex,
                tstamp=time.time(),
                generation={**generation(self.job, question), "num_choices": self.job.num_choices},
                usage=spent,
            )
            self.out.append(record.to_dict())
            self.usage += spent
            self.tally.done += 1
            if error:
                self.failures.append(f"question {question.question_id}: {error}")
                self.tally.failed += 1
            else:
                self.answered += 1
            self.observer.advance(failed=error is not None, usage=spent)
