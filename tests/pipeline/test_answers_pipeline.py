"""gen-answers through the pipeline with the fake provider: resume, failures as values, journaling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from builders import write_questions

from judgebench.errors import DataError, ResultsError, UnknownProviderError, UsageError
from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.providers import Completion, Decoding
from judgebench.providers.fake import FakeProvider, TransientFakeError
from judgebench.providers.retry import RetryEvent, RetryPolicy
from judgebench.records import Message, Usage
from judgebench.storage import JsonlAppender, answers_path, load_answers

FAST_RETRY = RetryPolicy(max_attempts=3, initial=0.001, max_wait=0.002)


class Recorder:
    def __init__(self) -> None:
        self.notes: list[str] = []
        self.total = -1
        self.skipped = -1
        self.advanced = 0

    def start(self, total: int, skipped: int) -> None:
        self.total, self.skipped = total, skipped

    def advance(self, *, failed: bool, usage: Usage) -> None:
        self.advanced += 1

    def note(self, message: str) -> None:
        self.notes.append(message)

    def retry(self, event: RetryEvent) -> None:
        self.notes.append(event.line())


@pytest.fixture
def qfile(tmp_path: Path) -> Path:
    return write_questions(tmp_path / "mini.jsonl")


def job(tmp_path: Path, qfile: Path, **kw: object) -> AnswerJob:
    return AnswerJob(model="fake/m", questions=str(qfile), results_dir=tmp_path / "results", retry=FAST_RETRY, **kw)  # type: ignore[arg-type]


def test_answers_every_question_with_two_turns_and_turn2_sees_turn1(tmp_path: Path, qfile: Path) -> None:
    provider = FakeProvider("m")
    run = gen_answers(job(tmp_path, qfile), provider=provider)
    assert (run.selected, run.answered, run.failed, run.skipped) == (6, 6, 0, 0)
    assert run.path == tmp_path / "results" / "mini" / "answers" / "fake__m.jsonl"
    answers = load_answers(run.path)
    assert sorted(answers, key=int) == [str(i) for i in range(1, 7)]
    assert all(a.status == "ok" and len(a.choices[0].turns) == 2 for a in answers.values())
    # Turn 2 was asked with the model's own turn-1 answer in the conversation.
    second_turn_requests = [msgs for msgs, _ in provider.requests if len(msgs) == 3]
    assert len(second_turn_requests) == 6
    for msgs in second_turn_requests:
        qid = int(msgs[0].content.split()[1].rstrip(","))
        assert msgs[1] == Message("assistant", answers[str(qid)].choices[0].turns[0])
        assert [m.role for m in msgs] == ["user", "assistant", "user"]
    assert run.usage.calls == 12
    assert run.usage.output_tokens > 0


def test_rerun_makes_zero_calls(tmp_path: Path, qfile: Path) -> None:
    gen_answers(job(tmp_path, qfile), provider=FakeProvider("m"))
    again = FakeProvider("m")
    observer = Recorder()
    run = gen_answers(job(tmp_path, qfile), provider=again, observer=observer)
    assert again.requests == []
    assert (run.answered, run.skipped, run.usage.calls) == (0, 6, 0)
    assert (observer.total, observer.skipped) == (0, 6)
    lines = run.path.read_text().splitlines()
    assert len(lines) == 6  # nothing appended


def test_per_category_temperatures_and_override(tmp_path: Path, qfile: Path) -> None:
    provider = FakeProvider("m")
    gen_answers(job(tmp_path, qfile), provider=provider)
    temps = {msgs[0].content.split(",")[0]: d.temperature for msgs, d in provider.requests}
    assert temps["Question 1"] == 0.7  # writing
    assert temps["Question 2"] == 0.0  # math
    assert temps["Question 5"] == 0.1  # stem
    fixed = FakeProvider("m")
    gen_answers(job(tmp_path, qfile, temperature=0.3, name="fixed"), provider=fixed)
    assert {d.temperature for _, d in fixed.requests} == {0.3}


def test_failures_are_values_and_rerun_retries_only_them(tmp_path: Path, qfile: Path) -> None:
    class FailOnQuestions(FakeProvider):
        async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
            if messages[0].content.startswith(("Question 2,", "Question 4,")):
                raise TransientFakeError("upstream overloaded")
            return await super().complete(messages, decoding)

    first = gen_answers(job(tmp_path, qfile, parallel=3), provider=FailOnQuestions("m"))
    assert (first.answered, first.failed) == (4, 2)
    answers = load_answers(first.path)
    for qid in ("2", "4"):
        assert answers[qid].status == "failed"
        assert answers[qid].error is not None
        assert "gave up after 3 attempts" in answers[qid].error
        assert "upstream overloaded" in answers[qid].error
    assert all(a.status == "ok" for k, a in answers.items() if k not in ("2", "4"))

    healthy = FakeProvider("m")
    second = gen_answers(job(tmp_path, qfile), provider=healthy)
    assert (second.answered, second.skipped, second.failed) == (2, 4, 0)
    asked = {msgs[0].content.split(",")[0] for msgs, _ in healthy.requests}
    assert asked == {"Question 2", "Question 4"}
    assert all(a.status == "ok" for a in load_answers(second.path).values())


def test_turn1_is_journaled_when_turn2_fails(tmp_path: Path, qfile: Path) -> None:
    class FailTurn2(FakeProvider):
        async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
            if len(messages) > 1:
                raise TransientFakeError("turn 2 down")
            return await super().complete(messages, decoding)

    first = gen_answers(job(tmp_path, qfile, question_ids=("1",)), provider=FailTurn2("m"))
    answer = load_answers(first.path)["1"]
    assert answer.status == "failed"
    assert answer.error is not None and answer.error.startswith("turn 2:")
    assert len(answer.choices[0].turns) == 1  # the paid-for turn 1 is kept in the record too

    retry = FakeProvider("m")
    second = gen_answers(job(tmp_path, qfile, question_ids=("1",)), provider=retry)
    assert len(retry.requests) == 1  # only turn 2 was asked again
    assert len(retry.requests[0][0]) == 3
    assert second.journal_hits == 1
    final = load_answers(second.path)["1"]
    assert final.status == "ok"
    assert final.choices[0].turns[0] == answer.choices[0].turns[0]


def test_num_choices_seeds_limit_and_ids(tmp_path: Path, qfile: Path) -> None:
    provider = FakeProvider("m")
    run = gen_answers(job(tmp_path, qfile, num_choices=2, seed=7, limit=2), provider=provider)
    answers = load_answers(run.path)
    assert sorted(answers) == ["1", "2"]
    assert all([c.index for c in a.choices] == [0, 1] for a in answers.values())
    assert {d.seed for _, d in provider.requests} == {7, 8}
    picked = gen_answers(job(tmp_path, qfile, question_ids=("5", "3"), name="ids"), provider=FakeProvider("m"))
    assert sorted(load_answers(picked.path)) == ["3", "5"]
    with pytest.raises(UsageError, match="no question with id 99"):
        gen_answers(job(tmp_path, qfile, question_ids=("99",)), provider=FakeProvider("m"))


def test_edited_question_is_answered_again(tmp_path: Path, qfile: Path) -> None:
    gen_answers(job(tmp_path, qfile), provider=FakeProvider("m"))
    lines = qfile.read_text().splitlines()
    edited = json.loads(lines[2])
    edited["turns"][1] = "A different follow-up."
    lines[2] = json.dumps(edited)
    qfile.write_text("\n".join(lines) + "\n")
    provider = FakeProvider("m")
    run = gen_answers(job(tmp_path, qfile), provider=provider)
    assert (run.answered, run.skipped) == (1, 5)
    assert load_answers(run.path)["3"].question_hash != ""


def test_parallel_bounds_requests_in_flight(tmp_path: Path) -> None:
    qfile = write_questions(tmp_path / "many.jsonl", n=30)

    class Counting(FakeProvider):
        in_flight = 0
        peak = 0
        full = asyncio.Event()  # set once four calls are in flight together

        async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
            Counting.in_flight += 1
            Counting.peak = max(Counting.peak, Counting.in_flight)
            if Counting.in_flight == 4:
                Counting.full.set()
            await Counting.full.wait()  # the first calls overlap by construction, not by a sleep's length
            await asyncio.sleep(0)
            Counting.in_flight -= 1
            return await super().complete(messages, decoding)

    gen_answers(job(tmp_path, qfile, parallel=4), provider=Counting("m"))
    assert Counting.peak == 4


def test_torn_last_line_is_cut_and_reported(tmp_path: Path, qfile: Path) -> None:
    run = gen_answers(job(tmp_path, qfile, limit=3), provider=FakeProvider("m"))
    with run.path.open("ab") as f:
        f.write(b'{"question_id": 4, "answer_id": "x", "mod')  # a write cut short by kill -9
    observer = Recorder()
    again = gen_answers(job(tmp_path, qfile), provider=FakeProvider("m"), observer=observer)
    assert again.answered == 3
    assert any("torn last line" in n for n in observer.notes)
    lines = run.path.read_text().splitlines()
    assert len(lines) == 6
    assert all(json.loads(line)["status"] == "ok" for line in lines)


def test_bad_input_touches_no_results(tmp_path: Path) -> None:
    bad = tmp_path / "dup.jsonl"
    bad.write_text(
        '{"question_id": 1, "category": "math", "turns": ["a"]}\n'
        '{"question_id": 1, "category": "math", "turns": ["b"]}\n'
    )
    with pytest.raises(DataError, match=r"dup\.jsonl:2: duplicate question_id 1 \(first at line 1\)"):
        gen_answers(job(tmp_path, bad), provider=FakeProvider("m"))
    missing = tmp_path / "missing.jsonl"
    missing.write_text('{"question_id": 1, "turns": ["a"]}\n')
    with pytest.raises(DataError, match=r"missing\.jsonl:1: missing field 'category'"):
        gen_answers(job(tmp_path, missing), provider=FakeProvider("m"))
    typed = tmp_path / "typed.jsonl"
    typed.write_text('{"question_id": 1, "category": "math", "turns": "not a list"}\n')
    with pytest.raises(DataError, match=r"typed\.jsonl:1: field 'turns' must be list"):
        gen_answers(job(tmp_path, typed), provider=FakeProvider("m"))
    with pytest.raises(UnknownProviderError, match="unknown provider 'nope'"):
        gen_answers(
            AnswerJob(
                model="nope/x",
                questions=str(write_questions(tmp_path / "ok.jsonl")),
                results_dir=tmp_path / "results",
            )
        )
    with pytest.raises(UsageError, match="--parallel 0"):
        gen_answers(job(tmp_path, bad, parallel=0))
    assert not (tmp_path / "results").exists()


def test_answers_file_of_another_model_is_refused(tmp_path: Path, qfile: Path) -> None:
    run = gen_answers(job(tmp_path, qfile, limit=1), provider=FakeProvider("m"))
    record = json.loads(run.path.read_text())
    record["model_id"] = "someone-else"
    run.path.write_text(json.dumps(record) + "\n")
    before = run.path.read_bytes()
    with pytest.raises(UsageError, match="holds answers of 'someone-else'"):
        gen_answers(job(tmp_path, qfile), provider=FakeProvider("m"))
    assert run.path.read_bytes() == before


def test_second_writer_on_same_file_is_refused(tmp_path: Path, qfile: Path) -> None:
    path = answers_path(tmp_path / "results", "mini", "fake/m")
    with JsonlAppender(path), pytest.raises(ResultsError, match="another judgebench process"):
        gen_answers(job(tmp_path, qfile), provider=FakeProvider("m"))


def test_unwritable_results_dir_is_one_clear_error(tmp_path: Path, qfile: Path) -> None:
    blocker = tmp_path / "results"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(ResultsError, match="choose a writable --results-dir"):
        gen_answers(job(tmp_path, qfile), provider=FakeProvider("m"))


def test_new_generation_settings_make_answers_stale(tmp_path: Path, qfile: Path) -> None:
    gen_answers(job(tmp_path, qfile, system="You are terse."), provider=FakeProvider("m"))
    same = FakeProvider("m")
    assert gen_answers(job(tmp_path, qfile, system="You are terse."), provider=same).answered == 0
    assert same.requests == []
    # A new product prompt: every answer is redone, and each call carries the new system prompt.
    changed = FakeProvider("m")
    run = gen_answers(job(tmp_path, qfile, system="You are warm and thorough."), provider=changed)
    assert (run.answered, run.skipped) == (6, 0)
    assert {msgs[0].content for msgs, _ in changed.requests} == {"You are warm and thorough."}
    assert {a.generation["system"] for a in load_answers(run.path).values()} == {"You are warm and thorough."}
    # Going back to the first prompt buys nothing: every call is still in the journal.
    back = FakeProvider("m")
    again = gen_answers(job(tmp_path, qfile, system="You are terse."), provider=back)
    assert (again.answered, again.journal_hits, back.requests) == (6, 12, [])
    # Another temperature is another answer too.
    hotter = FakeProvider("m")
    assert gen_answers(job(tmp_path, qfile, system="You are terse.", temperature=1.0), provider=hotter).answered == 6
    # Another model filed under the same name is another answer.
    other = FakeProvider("m2")
    swapped = AnswerJob(
        model="fake/m2", name="fake/m", questions=str(qfile), results_dir=tmp_path / "results", system="You are terse."
    )
    assert gen_answers(swapped, provider=other).answered == 6
