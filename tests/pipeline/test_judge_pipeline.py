"""judge through the pipeline with scripted fake judges: resume keys, re-asks, both-order games."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from builders import REPO, answered_bench, edit_answer

from judgebench.errors import UsageError
from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.pipeline.judge import JudgeJob, judge
from judgebench.providers import Completion, Decoding
from judgebench.providers.fake import FakeProvider, TransientFakeError
from judgebench.providers.retry import RetryPolicy
from judgebench.records import Message
from judgebench.storage import answers_path, load_judgments, load_pair_games

FAST_RETRY = RetryPolicy(max_attempts=2, initial=0.001, max_wait=0.002)


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    """Three questions (one math with references) answered by two fake models."""
    qfile = tmp_path / "tiny.jsonl"
    rows = [
        {"question_id": 1, "category": "writing", "turns": ["Write a haiku.", "Now make it rhyme."]},
        {
            "question_id": 2,
            "category": "math",
            "turns": ["What is 6*7?", "And 6*8?"],
            "reference": ["6*7 = 42", "6*8 = 48"],
        },
        {"question_id": 3, "category": "stem", "turns": ["Explain tides.", "Explain them to a child."]},
    ]
    return answered_bench(qfile, rows, ("alpha", "beta"))


def job(tmp_path: Path, qfile: Path, **kw: object) -> JudgeJob:
    return JudgeJob(
        judge="fake/judge",
        questions=str(qfile),
        results_dir=tmp_path / "results",
        retry=FAST_RETRY,
        **kw,  # type: ignore[arg-type]
    )


def grader(score: str) -> FakeProvider:
    return FakeProvider("judge", reply=lambda messages: f"Looks fine overall.\n{score}")


def test_single_grades_every_answer_turn_and_uses_references(tmp_path: Path, bench: Path) -> None:
    provider = grader("[[7]]")
    run = judge(job(tmp_path, bench), provider=provider)
    assert (run.planned, run.judged, run.unparsed, run.failed) == (12, 12, 0, 0)
    records = load_judgments(run.path)
    assert run.path == tmp_path / "results" / "tiny" / "judgments" / "fake__judge_single.jsonl"
    assert Counter((r.model, r.turn) for r in records) == {(m, t): 3 for m in ("alpha", "beta") for t in (1, 2)}
    assert {r.score for r in records} == {7.0}
    prompts = {(r.question_id, r.turn): r.prompt for r in records}
    assert prompts[(2, 1)] == "single-ref-v1"
    assert prompts[(2, 2)] == "single-ref-multi-v1"
    assert prompts[(1, 1)] == "single-v1"
    assert prompts[(3, 2)] == "single-multi-v1"
    math_turn1 = next(r for r in records if r.question_id == 2 and r.turn == 1)
    assert "6*7 = 42" in math_turn1.user_prompt
    # Judge decoding is deterministic by default.
    assert {d.temperature for _, d in provider.requests} == {0.0}


def test_rerun_makes_zero_calls_and_an_edited_answer_is_rejudged_alone(tmp_path: Path, bench: Path) -> None:
    judge(job(tmp_path, bench), provider=grader("[[7]]"))
    again = grader("[[7]]")
    run = judge(job(tmp_path, bench), provider=again)
    assert (run.planned, run.skipped, len(again.requests)) == (0, 12, 0)

    # Edit beta's second-turn answer to question 3: only that judgment is redone.
    edit_answer(answers_path(tmp_path / "results", "tiny", "beta"), 3, 2, "An edited answer.")
    edited = grader("[[5]]")
    run = judge(job(tmp_path, bench), provider=edited)
    assert (run.planned, run.skipped) == (1, 11)
    assert "An edited answer." in edited.requests[0][0][-1].content


def test_unparsable_verdict_is_reasked_then_kept_as_unparsed(tmp_path: Path, bench: Path) -> None:
    replies = iter(["No verdict here.", "Still none.", "I refuse.", "Good. [[8]]"] + ["[[6]]"] * 100)
    provider = FakeProvider("judge", reply=lambda messages: next(replies))
    run = judge(job(tmp_path, bench, reasks=2, question_ids=("1",), models=("alpha",)), provider=provider)
    assert (run.planned, run.unparsed, run.judged) == (2, 1, 1)
    records = load_judgments(run.path)
    unparsed = [r for r in records if r.status == "unparsed"]
    assert len(unparsed) == 1
    assert unparsed[0].score is None
    assert unparsed[0].judgment == "I refuse."
    assert unparsed[0].attempts == 3
    # The re-ask continues the conversation with the judge's own unparsable reply.
    reask = [msgs for msgs, _ in provider.requests if len(msgs) == 4]
    assert reask
    assert reask[0][2].role == "assistant"
    # A rerun does not pay again for a verdict the judge would not give.
    again = grader("[[9]]")
    assert judge(job(tmp_path, bench, question_ids=("1",), models=("alpha",)), provider=again).planned == 0


def test_failed_calls_are_values_and_retried_next_run(tmp_path: Path, bench: Path) -> None:
    class Down(FakeProvider):
        async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
            raise TransientFakeError("judge unavailable")

    run = judge(job(tmp_path, bench, models=("alpha",)), provider=Down("judge"))
    assert (run.failed, run.judged) == (6, 0)
    records = load_judgments(run.path)
    assert all(r.status == "failed" and r.error and "judge unavailable" in r.error for r in records)
    healthy = grader("[[4]]")
    second = judge(job(tmp_path, bench, models=("alpha",)), provider=healthy)
    assert (second.planned, second.judged) == (6, 6)


def test_pairwise_both_orders_with_a_position_biased_judge(tmp_path: Path, bench: Path) -> None:
    always_first = FakeProvider("judge", reply=lambda messages: "The first one is better. [[A]]")
    run = judge(job(tmp_path, bench, mode="pairwise", baseline="beta"), provider=always_first)
    assert run.planned == 12  # 3 questions x 2 turns x 2 games
    games = load_pair_games(run.path)
    assert Counter(g.game for g in games) == {1: 6, 2: 6}
    assert {(g.model_1, g.model_2) for g in games} == {("beta", "alpha")}  # the baseline is model_1
    # Game 1 shows model_1 first, game 2 shows model_2 first: a judge that always picks the
    # first position names a different winner in each game.
    assert {g.winner for g in games if g.game == 1} == {"model_1"}
    assert {g.winner for g in games if g.game == 2} == {"model_2"}
    rendered = {g.game: g.user_prompt for g in games if g.question_id == 1 and g.turn == 1}
    assert rendered[1] != rendered[2]


def test_pairwise_all_pairs_and_dry_run(tmp_path: Path, bench: Path) -> None:
    gen_answers(
        AnswerJob(model="fake/gamma", questions=str(bench), results_dir=tmp_path / "results", name="gamma"),
        provider=FakeProvider("gamma"),
    )
    dry = judge(job(tmp_path, bench, mode="pairwise", all_pairs=True, dry_run=True), provider=grader("[[A]]"))
    assert dry.planned == 3 * 3 * 2 * 2  # 3 pairs, 3 questions, 2 turns, 2 games
    assert dry.estimated_input_tokens > 0
    assert not dry.path.exists()
    run = judge(job(tmp_path, bench, mode="pairwise", all_pairs=True), provider=grader("[[C]]"))
    assert run.judged == 36
    assert {(g.model_1, g.model_2) for g in load_pair_games(run.path)} == {
        ("alpha", "beta"),
        ("alpha", "gamma"),
        ("beta", "gamma"),
    }


def test_bad_options(tmp_path: Path, bench: Path) -> None:
    with pytest.raises(UsageError, match="exactly one of --baseline MODEL or --all-pairs"):
        judge(job(tmp_path, bench, mode="pairwise"), provider=grader("[[A]]"))
    with pytest.raises(UsageError, match="no answers for nobody"):
        judge(job(tmp_path, bench, models=("nobody",)), provider=grader("[[1]]"))
    with pytest.raises(UsageError, match="--prompts 'nope'"):
        judge(job(tmp_path, bench, prompts="nope"), provider=grader("[[1]]"))


def test_editing_one_prompt_rejudges_only_what_it_touches(tmp_path: Path, bench: Path) -> None:
    bundled = REPO / "judge_prompts" / "jb-v1.jsonl"
    prompts = tmp_path / "mine.jsonl"
    prompts.write_bytes(bundled.read_bytes())
    judge(job(tmp_path, bench, prompts=str(prompts)), provider=grader("[[7]]"))
    records = [json.loads(line) for line in prompts.read_text().splitlines()]
    for record in records:
        if record["name"] == "single-multi-v1":  # used for turn 2 of questions without references
            record["system_prompt"] += "\nBe especially strict about the second answer."
    prompts.write_text("".join(json.dumps(r) + "\n" for r in records))
    edited = grader("[[3]]")
    run = judge(job(tmp_path, bench, prompts=str(prompts)), provider=edited)
    # Questions 1 and 3 (no references) x 2 models, turn 2 only.
    assert (run.planned, run.skipped) == (4, 8)
    assert all("especially strict" in msgs[0].content for msgs, _ in edited.requests)


def test_answers_to_an_edited_question_are_not_judged(tmp_path: Path, bench: Path) -> None:
    rows = [json.loads(line) for line in bench.read_text().splitlines()]
    rows[0]["turns"][0] = "Write a limerick instead."
    bench.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = judge(job(tmp_path, bench, dry_run=True), provider=grader("[[7]]"))
    assert run.missing_answers == 4  # question 1: 2 models x 2 turns, answered before the edit
    assert run.planned == 8
