"""Verdicts read right end to end, over real HTTP against the loopback server with the real SDKs.

Malformed and off-scale final verdicts are re-asked; replies cut off at their token limit
are no verdicts (re-asked with a larger budget, else stored as ``truncated``); reasoning
models' ``<think>`` blocks stay out of what judges see and what models get back; the
five-level and structured formats judge end to end and feed the report; probability
verdicts against a server without logprobs stop at the first request.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from llm_server import Behaviour, LLMServer, last_user_text

from judgebench.errors import ProviderError, UsageError
from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.pipeline.fastchat_export import export_fastchat
from judgebench.pipeline.judge import JudgeJob, judge
from judgebench.pipeline.report import ReportJob, report
from judgebench.providers import LocalOptions, ProviderOptions
from judgebench.providers.retry import RetryPolicy
from judgebench.storage import load_answers, load_judgments, load_pair_games

FAST_RETRY = RetryPolicy(max_attempts=3, initial=0.001, max_wait=0.002)


def questions(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return qfile


def options(server: LLMServer) -> ProviderOptions:
    return ProviderOptions(base_url=server.base_url, timeout=10)


def answer(server: LLMServer, tmp_path: Path, qfile: Path, model: str, **kw: Any) -> None:
    gen_answers(
        AnswerJob(
            model=f"openai/{model}",
            questions=str(qfile),
            results_dir=tmp_path / "results",
            provider_options=options(server),
            retry=FAST_RETRY,
            **kw,
        )
    )


def judge_job(server: LLMServer, tmp_path: Path, qfile: Path, **kw: Any) -> JudgeJob:
    return JudgeJob(
        judge="openai/judge",
        questions=str(qfile),
        results_dir=tmp_path / "results",
        provider_options=options(server),
        retry=FAST_RETRY,
        **kw,
    )


def judges(tmp_path: Path, qfile: Path) -> dict[str, Any]:
    """The report's JSON form, by judge."""
    data = report(ReportJob(questions=str(qfile), results_dir=tmp_path / "results", bootstrap=0)).to_dict()
    return {j["judge"]: j for j in data["judges"]}


def model_of(body: dict[str, Any]) -> str:
    return str(body.get("model", ""))


def judge_requests(server: LLMServer) -> list[dict[str, Any]]:
    return [r.json for r in server.requests if r.json and model_of(r.json) == "judge"]


ONE_TURN = [{"question_id": 1, "category": "writing", "turns": ["Write one sentence about winter."]}]


# --- strict reading: malformed and off-scale final verdicts -------------------------------------------


def test_off_scale_grade_is_reasked_and_decimal_comma_is_read(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = questions(
        tmp_path,
        [
            {"question_id": 1, "category": "writing", "turns": ["A sentence about autumn."]},
            {"question_id": 2, "category": "writing", "turns": ["A sentence about winter."]},
        ],
    )

    def reply(body: dict[str, Any]) -> str:
        if model_of(body) != "judge":
            return "A sentence."
        prompt = json.dumps(body["messages"])
        if "I could not find your grade" in last_user_text(body):
            return "[[8]]"
        if "autumn" in prompt:
            return "Vivid, with [[9]] quoted from nowhere.\nRating: 4 out of 5"
        return "Accurate, a little plain.\nRating: 7,5"

    llm_server.reply = reply
    answer(llm_server, tmp_path, qfile, "m1")
    run = judge(judge_job(llm_server, tmp_path, qfile))
    assert (run.judged, run.unparsed, run.truncated, run.failed) == (2, 0, 0, 0)
    records = {r.question_id: r for r in load_judgments(run.path)}
    # 4 out of 5 is not 4 on 1–10, and the earlier "[[9]]" is never taken instead: re-asked, answered 8.
    assert (records[1].score, records[1].attempts, records[1].judgment) == (8.0, 2, "[[8]]")
    assert [(r.reply, r.reason) for r in records[1].reasks] == [
        (
            "Vivid, with [[9]] quoted from nowhere.\nRating: 4 out of 5",
            "'Rating: 4 out of 5' is a grade out of 5, not 1–10",
        )
    ]
    assert (records[2].score, records[2].attempts, records[2].reasks) == (7.5, 1, ())
    assert len(judge_requests(llm_server)) == 3
    # What was re-asked and why is on the record's wire form; a verdict read at once carries no such field.
    lines = {d["question_id"]: d for d in map(json.loads, run.path.read_text().splitlines())}
    assert lines[1]["reasks"] == [
        {
            "reply": "Vivid, with [[9]] quoted from nowhere.\nRating: 4 out of 5",
            "reason": "'Rating: 4 out of 5' is a grade out of 5, not 1–10",
            "finish_reason": "stop",
        }
    ]
    assert "reasks" not in lines[2]


# --- truncation ---------------------------------------------------------------------------------------

THINK_SINGLE = "<think>\nI must end with the grade alone as [[N]], e.g. [[7]] or [[4.5]]. " + "Let me look. " * 20
THINK_PAIR = "<think>\nI have to finish with exactly one of [[A]], [[B]] or [[C]]. " + "Comparing them. " * 20


def test_judge_cut_off_while_thinking_is_reasked_with_a_larger_budget(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = questions(tmp_path, ONE_TURN)

    def reply(body: dict[str, Any]) -> str:
        if model_of(body) == "m1":
            return "Winter is cold."
        if model_of(body) == "m2":
            return "M2: Frost stitches silver lace across the sleeping fields."
        last = last_user_text(body)
        if "I could not find your grade" in last:
            return "[[9]]"
        if "I could not find your verdict" in last:
            user = body["messages"][1]["content"]
            return "[[A]]" if user.index("M2:") < user.index("Winter is cold.") else "[[B]]"
        return THINK_PAIR if "[[C]]" in last else THINK_SINGLE

    llm_server.reply = reply  # replies longer than max_tokens words are cut, finish_reason "length"
    for model in ("m1", "m2"):
        answer(llm_server, tmp_path, qfile, model)
    single = judge(judge_job(llm_server, tmp_path, qfile, models=("openai/m2",), max_tokens=20))
    pair = judge(judge_job(llm_server, tmp_path, qfile, mode="pairwise", baseline="openai/m1", max_tokens=20))

    grade = load_judgments(single.path)[0]
    assert (grade.score, grade.status, grade.attempts, grade.finish_reason) == (9.0, "ok", 2, "stop")
    assert [(r.reason, r.finish_reason) for r in grade.reasks] == [
        ("cut off at 20 tokens (finish_reason 'length')", "length")
    ]
    games = {g.game: g for g in load_pair_games(pair.path)}
    # model_1 is the baseline (m1), model_2 the judged model (m2): m2 wins both games,
    # never a tie read from the restated "[[A]], [[B]] or [[C]]".
    assert {n: (g.model_1, g.winner, g.status) for n, g in games.items()} == {
        1: ("openai/m1", "model_2", "ok"),
        2: ("openai/m1", "model_2", "ok"),
    }
    budgets = [r["max_tokens"] for r in judge_requests(llm_server)]
    assert budgets == [20, 40, 20, 40, 20, 40] or sorted(budgets) == [20, 20, 20, 40, 40, 40]
    reasks = [r for r in judge_requests(llm_server) if r["max_tokens"] == 40]
    assert all(r["messages"][-1]["content"].startswith("Your reply was cut off") for r in reasks)


def test_a_reply_cut_off_every_time_is_stored_as_truncated_and_counted(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = questions(tmp_path, ONE_TURN)
    llm_server.reply = lambda body: "One." if model_of(body) == "m1" else "Good. " * 500 + "[[8]]"
    answer(llm_server, tmp_path, qfile, "m1")
    run = judge(judge_job(llm_server, tmp_path, qfile, max_tokens=10, reasks=1))
    assert (run.judged, run.unparsed, run.truncated, run.failed) == (0, 0, 1, 0)
    (record,) = load_judgments(run.path)
    assert (record.status, record.score, record.attempts, len(record.reasks)) == ("truncated", None, 2, 1)
    assert [r["max_tokens"] for r in judge_requests(llm_server)] == [10, 20]
    # Counted like unparsed in the report, and a rerun does not pay for it again.
    (row,) = judges(tmp_path, qfile)["openai/judge"]["single"]
    assert (row["n"], row["n_unparsed"], row["n_failed"]) == (0, 1, 0)
    again = judge(judge_job(llm_server, tmp_path, qfile, max_tokens=10, reasks=1))
    assert (again.planned, again.skipped) == (0, 1)


# --- reasoning answerers ------------------------------------------------------------------------------

TWO_TURNS = [{"question_id": 1, "category": "math", "turns": ["What is 17 × 23?", "Now add 9."]}]


def qwen_reply(body: dict[str, Any]) -> str:
    if model_of(body) == "judge":
        return "Correct.\n[[9]]"
    if "Now add 9" in last_user_text(body):
        return "<think>\nThe previous result was 391; adding 9 gives 400.\n</think>\n\n400"
    return "<think>\n17*23 = 340 + 51 = 391.\n</think>\n\n17 × 23 = 391."


def test_think_blocks_stay_out_of_the_judge_and_the_models_own_history(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = questions(tmp_path, TWO_TURNS)
    llm_server.reply = qwen_reply
    answer(llm_server, tmp_path, qfile, "qwen3")
    (record,) = load_answers(next((tmp_path / "results" / "q" / "answers").glob("*.jsonl"))).values()
    choice = record.choices[0]
    assert choice.turns == ("17 × 23 = 391.", "400")
    assert choice.raw_turns[0] == "<think>\n17*23 = 340 + 51 = 391.\n</think>\n\n17 × 23 = 391."
    assert choice.reasoning == ("17*23 = 340 + 51 = 391.", "The previous result was 391; adding 9 gives 400.")
    turn2 = [r.json for r in llm_server.requests if "Now add 9" in last_user_text(r.json)]
    assert [m["content"] for m in turn2[0]["messages"] if m["role"] == "assistant"] == ["17 × 23 = 391."]

    judge(judge_job(llm_server, tmp_path, qfile))
    judged = judge_requests(llm_server)
    assert len(judged) == 2
    assert sum("<think>" in m["content"] for r in judged for m in r["messages"]) == 0
    # FastChat's answer files get FastChat's fields only: the final answers.
    export_fastchat(tmp_path / "results", "q", tmp_path / "fastchat")
    (exported,) = map(
        json.loads, (tmp_path / "fastchat" / "model_answer" / "openai__qwen3.jsonl").read_text().splitlines()
    )
    assert exported["choices"] == [{"index": 0, "turns": ["17 × 23 = 391.", "400"]}]


def test_keep_reasoning_shows_the_think_block_to_the_judge(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = questions(tmp_path, TWO_TURNS)
    llm_server.reply = qwen_reply
    answer(llm_server, tmp_path, qfile, "qwen3", keep_reasoning=True)
    (record,) = load_answers(next((tmp_path / "results" / "q" / "answers").glob("*.jsonl"))).values()
    assert record.choices[0].turns[0].startswith("<think>")
    assert record.generation["keep_reasoning"] is True
    judge(judge_job(llm_server, tmp_path, qfile))
    assert sum("17*23 = 340" in r["messages"][-1]["content"] for r in judge_requests(llm_server)) == 2


def test_reasoning_sent_apart_is_stored_beside_the_answer(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = questions(tmp_path, ONE_TURN)
    body = {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "r1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Snow falls.", "reasoning_content": "Short is best."},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 5,
            "completion_tokens": 9,
            "total_tokens": 14,
            "completion_tokens_details": {"reasoning_tokens": 6},
        },
    }
    llm_server.script(Behaviour(body=body))
    answer(llm_server, tmp_path, qfile, "r1")
    (record,) = load_answers(next((tmp_path / "results" / "q" / "answers").glob("*.jsonl"))).values()
    assert (record.choices[0].turns, record.choices[0].reasoning) == (("Snow falls.",), ("Short is best.",))
    assert (record.usage.output_tokens, record.usage.reasoning_tokens) == (9, 6)


# --- five-level and structured verdicts, end to end ---------------------------------------------------


def two_models(tmp_path: Path, server: LLMServer, judge_reply: Any) -> Path:
    qfile = questions(
        tmp_path,
        [{"question_id": i, "category": "writing", "turns": [f"Sentence number {i}."]} for i in (1, 2, 3)],
    )

    def reply(body: dict[str, Any]) -> str:
        if model_of(body) == "strong":
            return "STRONG: a vivid, exact sentence."
        if model_of(body) == "weak":
            return "weak."
        return str(judge_reply(body))

    server.reply = reply
    for model in ("strong", "weak"):
        answer(server, tmp_path, qfile, model)
    return qfile


def shown_first(body: dict[str, Any]) -> str:
    user = body["messages"][-1]["content"]
    return "strong" if user.index("STRONG:") < user.index("weak.") else "weak"


def test_five_level_verdicts_judge_end_to_end_and_feed_the_report(tmp_path: Path, llm_server: LLMServer) -> None:
    def verdict(body: dict[str, Any]) -> str:
        return "A is far better.\n\n[[A>>B]]" if shown_first(body) == "strong" else "B wins clearly: [[B>A]]"

    qfile = two_models(tmp_path, llm_server, verdict)
    run = judge(judge_job(llm_server, tmp_path, qfile, mode="pairwise", baseline="openai/weak", prompts="jb-five-v1"))
    assert (run.planned, run.judged, run.unparsed) == (6, 6, 0)
    games = load_pair_games(run.path)
    assert {(g.game, g.verdict, g.strong, g.winner) for g in games} == {
        (1, "B>A", False, "model_2"),  # game 1 shows the baseline (model_1) first
        (2, "A>>B", True, "model_2"),
    }
    assert all("[[A>>B]], [[A>B]], [[A=B]], [[B>A]] or [[B>>A]]" in g.user_prompt for g in games)
    rows = {r["model"]: r for r in judges(tmp_path, qfile)["openai/judge"]["pairwise"]["models"]}
    assert (rows["openai/strong"]["win"], rows["openai/strong"]["loss"], rows["openai/strong"]["tie"]) == (3, 0, 0)
    # Arena-Hard's weighting counts each strong win three times; consistency is not weighted.
    job = ReportJob(questions=str(qfile), results_dir=tmp_path / "results", bootstrap=50, strong_weight=3)
    (weighted,) = report(replace(job, baseline="openai/weak")).to_dict()["judges"]
    assert [(r["model"], r["win"], r["n"]) for r in weighted["pairwise"]["models"]] == [("openai/strong", 9, 9)]
    assert [(c["consistent"], c["n"]) for c in weighted["pairwise"]["consistency"]] == [(3, 3)]


def test_structured_verdicts_use_a_json_schema_over_openai(tmp_path: Path, llm_server: LLMServer) -> None:
    def verdict(body: dict[str, Any]) -> str:
        if "response_format" not in body:
            return "?"
        if body["response_format"]["json_schema"]["name"] == "grade_verdict":
            return json.dumps({"reasoning": "Exact and vivid.", "verdict": 8.5})
        return json.dumps({"reasoning": "A is better.", "verdict": "A" if shown_first(body) == "strong" else "B"})

    qfile = two_models(tmp_path, llm_server, verdict)
    single = judge(judge_job(llm_server, tmp_path, qfile, models=("openai/strong",), prompts="jb-json-v1"))
    pair = judge(judge_job(llm_server, tmp_path, qfile, mode="pairwise", baseline="openai/weak", prompts="jb-json-v1"))
    assert {j.score for j in load_judgments(single.path)} == {8.5}
    assert {g.winner for g in load_pair_games(pair.path)} == {"model_2"}  # the baseline is model_1
    formats = [r["response_format"] for r in judge_requests(llm_server)]
    assert len(formats) == 9 and all(f["type"] == "json_schema" and f["json_schema"]["strict"] for f in formats)
    assert formats[0]["json_schema"]["schema"]["required"] == ["reasoning", "verdict"]
    assert judges(tmp_path, qfile)["openai/judge"]["single"][0]["overall"] == 8.5


def test_structured_verdicts_use_a_forced_tool_over_anthropic(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = two_models(tmp_path, llm_server, lambda body: "?")
    tool_reply = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [
            {"type": "tool_use", "id": "t1", "name": "grade_verdict", "input": {"reasoning": "Fine.", "verdict": 7}}
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }
    llm_server.script(*[Behaviour(body=tool_reply)] * 3)
    run = judge(
        JudgeJob(
            judge="anthropic/claude-test",
            questions=str(qfile),
            results_dir=tmp_path / "results",
            models=("openai/strong",),
            prompts="jb-json-v1",
            provider_options=ProviderOptions(base_url=llm_server.url, timeout=10, api_key_env="JB_TEST_KEY"),
            retry=FAST_RETRY,
        )
    )
    assert {(j.score, j.judgment) for j in load_judgments(run.path)} == {(7.0, '{"reasoning": "Fine.", "verdict": 7}')}
    sent = [r.json for r in llm_server.requests if r.path.endswith("/messages")]
    assert len(sent) == 3
    assert {(b["tool_choice"]["name"], b["tools"][0]["name"]) for b in sent} == {("grade_verdict", "grade_verdict")}


# --- reasoning judges: parameters they refuse, effort, reasoning tokens -------------------------------


def test_reasoning_judge_gets_no_temperature_and_its_effort(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import openai

    from judgebench.providers import Decoding
    from judgebench.providers.openai import OpenAIProvider
    from judgebench.records import Message

    monkeypatch.setenv("JB_OPENAI_TEST_KEY", "sk-test")
    # OpenAI's own model names decide (no request is made: only the parameters are built).
    reasoning = OpenAIProvider("o4-mini", ProviderOptions(api_key_env="JB_OPENAI_TEST_KEY"))
    params = reasoning._params(Decoding(0.0, 100, reasoning_effort="high"))
    assert params["temperature"] is openai.omit
    assert (params["reasoning_effort"], params["max_completion_tokens"]) == ("high", 100)
    plain = OpenAIProvider("gpt-4o", ProviderOptions(api_key_env="JB_OPENAI_TEST_KEY"))._params(Decoding(0.0, 100))
    assert plain["temperature"] == 0.0 and "reasoning_effort" not in plain
    # They send no token probabilities either: refused before any request.
    with pytest.raises(ProviderError, match=r"reasoning models .* return no token probabilities"):
        asyncio.run(reasoning.verdict_distribution([Message("user", "grade")], "[[", ("1", "2"), "]]"))


# --- probability verdicts -----------------------------------------------------------------------------


def test_logprobs_against_a_server_without_them_stop_at_the_first_request(
    tmp_path: Path, llm_server: LLMServer
) -> None:
    qfile = questions(tmp_path, [{"question_id": i, "category": "writing", "turns": [f"Q{i}"]} for i in (1, 2)])
    llm_server.reply = lambda body: "An answer."
    answer(llm_server, tmp_path, qfile, "m1")
    llm_server.clear()
    no_logprobs = {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "judge",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "[[8]]"}, "finish_reason": "stop"}],
    }
    llm_server.script(*[Behaviour(body=no_logprobs)] * 10)
    with pytest.raises(ProviderError, match=r"sent no token probabilities .* use --verdict text"):
        judge(judge_job(llm_server, tmp_path, qfile, verdict="logprobs", parallel=8))
    assert len(llm_server.requests) == 1
    path = tmp_path / "results" / "q" / "judgments" / "openai__judge_single.jsonl"
    assert not path.exists() or load_judgments(path) == []


def test_vllm_engine_reads_text_verdicts_by_default_and_refuses_probability_ones() -> None:
    vllm = ProviderOptions(local=LocalOptions(engine="vllm"))
    assert JudgeJob(judge="hf/some/model", provider_options=vllm).verdict_mode == "text"
    assert JudgeJob(judge="hf/some/model").verdict_mode == "logprobs"
    with pytest.raises(UsageError, match="vLLM engine has no probability verdicts"):
        JudgeJob(judge="hf/some/model", provider_options=vllm, verdict="logprobs").check()


def test_a_format_without_probabilities_is_refused_before_any_call(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = two_models(tmp_path, llm_server, lambda body: "[[A>B]]")
    llm_server.clear()
    with pytest.raises(UsageError, match="five-level verdict format, which has no probability reading"):
        judge(
            judge_job(
                llm_server, tmp_path, qfile, mode="pairwise", baseline="openai/weak", prompts="jb-five-v1",
                verdict="logprobs",
            )
        )  # fmt: skip
    assert llm_server.requests == []


def test_reasoning_effort_reaches_the_judge_and_its_key(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = questions(tmp_path, ONE_TURN)
    llm_server.reply = lambda body: "Fine.\n[[7]]" if model_of(body) == "judge" else "One."
    answer(llm_server, tmp_path, qfile, "m1")
    run = judge(judge_job(llm_server, tmp_path, qfile, reasoning_effort="high"))
    assert [r["reasoning_effort"] for r in judge_requests(llm_server)] == ["high"]
    # Another effort is another judgment (its key differs); the same one is not paid twice.
    again = judge(judge_job(llm_server, tmp_path, qfile, reasoning_effort="high"))
    other = judge(judge_job(llm_server, tmp_path, qfile, reasoning_effort="low"))
    assert (run.judged, again.planned, other.judged) == (1, 0, 1)


def test_reasoning_effort_is_refused_up_front_where_the_api_has_none(tmp_path: Path, llm_server: LLMServer) -> None:
    from judgebench.providers.fake import FakeProvider

    qfile = questions(tmp_path, ONE_TURN)
    llm_server.reply = lambda body: "One."
    answer(llm_server, tmp_path, qfile, "m1")
    provider = FakeProvider("judge", reply=lambda messages: "[[7]]")
    with pytest.raises(UsageError, match="has no reasoning effort setting"):
        judge(JudgeJob(judge="fake/judge", questions=str(qfile), results_dir=tmp_path / "results",
                       reasoning_effort="high"), provider=provider)  # fmt: skip
    assert provider.requests == []


def test_think_blocks_left_in_older_or_imported_answers_are_not_shown_to_the_judge(
    tmp_path: Path, llm_server: LLMServer
) -> None:
    from judgebench.records import Answer, Choice
    from judgebench.storage import answers_path

    qfile = questions(tmp_path, ONE_TURN)
    llm_server.reply = lambda body: "Fine. [[8]]"
    old = Answer(
        question_id=1,
        model_id="r1",
        model="openai/r1",
        choices=(Choice(0, ("<think>\nsecret plan\n</think>\n\nSnow falls.",)),),
        status="ok",
        question_hash="",
        answer_id="a1",
        tstamp=0.0,
    )
    path = answers_path(tmp_path / "results", "q", "r1")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(old.to_dict()) + "\n")
    judge(judge_job(llm_server, tmp_path, qfile))
    (request,) = judge_requests(llm_server)
    assert "Snow falls." in request["messages"][-1]["content"]
    assert "secret plan" not in request["messages"][-1]["content"]


def test_logprobs_stop_after_a_first_call_the_server_refuses(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = questions(tmp_path, [{"question_id": i, "category": "writing", "turns": [f"Q{i}"]} for i in (1, 2, 3)])
    llm_server.reply = lambda body: "An answer."
    answer(llm_server, tmp_path, qfile, "m1")
    llm_server.clear()
    llm_server.script(*[Behaviour(status=400)] * 10)  # "logprobs are not supported": not worth retrying
    with pytest.raises(ProviderError, match="the first call failed"):
        judge(judge_job(llm_server, tmp_path, qfile, verdict="logprobs", parallel=8))
    assert len(llm_server.requests) == 1
    (failed,) = load_judgments(tmp_path / "results" / "q" / "judgments" / "openai__judge_single.jsonl")
    assert failed.status == "failed"  # kept, and retried by the next run


def test_a_judge_cut_off_with_its_reasoning_sent_apart_is_reasked(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = questions(tmp_path, ONE_TURN)
    llm_server.reply = lambda body: "One." if model_of(body) == "m1" else "[[6]]"
    answer(llm_server, tmp_path, qfile, "m1")
    cut = {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "judge",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "reasoning_content": "Format [[N]], e.g. [[7]]."},
                "finish_reason": "length",
            }
        ],
    }
    llm_server.script(Behaviour(body=cut))
    run = judge(judge_job(llm_server, tmp_path, qfile, max_tokens=64))
    (record,) = load_judgments(run.path)
    assert (record.score, record.attempts, [r.finish_reason for r in record.reasks]) == (6.0, 2, ["length"])
    assert [r["max_tokens"] for r in judge_requests(llm_server)] == [64, 128]
    # Its reply was empty, so no empty assistant turn is sent back: the re-ask joins the question.
    reask = judge_requests(llm_server)[1]["messages"]
    assert [m["role"] for m in reask] == ["system", "user"]
    assert reask[-1]["content"].endswith("e.g. [[7]] or [[6.5]]).")


# --- the command line ---------------------------------------------------------------------------------


def test_the_new_options_through_the_real_command(tmp_path: Path, llm_server: LLMServer) -> None:
    from clirun import assert_one_line_error, judgebench

    qfile = questions(tmp_path, TWO_TURNS)
    llm_server.reply = qwen_reply
    base = ("--base-url", llm_server.base_url, "-q", str(qfile))
    assert judgebench("gen-answers", "-m", "openai/qwen3", *base, "--keep-reasoning", cwd=tmp_path).returncode == 0
    (line,) = (tmp_path / "results" / "q" / "answers").glob("*.jsonl")
    assert json.loads(line.read_text())["choices"][0]["turns"][0].startswith("<think>")
    judged = judgebench("judge", "-j", "openai/judge", *base, "--reasoning-effort", "low", cwd=tmp_path)
    assert judged.returncode == 0, judged.stderr
    assert {r["reasoning_effort"] for r in judge_requests(llm_server)} == {"low"}
    refused = judgebench("judge", "-j", "fake/judge", "-q", str(qfile), "--reasoning-effort", "low", cwd=tmp_path)
    assert_one_line_error(refused, 2, "--reasoning-effort", "no reasoning effort setting")
    shown = judgebench(
        "report", "-q", str(qfile), "--strong-weight", "3", "-f", "json", "--bootstrap", "0", cwd=tmp_path
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["judges"][0]["single"][0]["overall"] == 9.0


def test_strong_weight_counts_a_comparison_named_either_way_once_with_its_weight() -> None:
    from judgebench import stats
    from judgebench.records import PairGame

    g: dict[str, Any] = {"question_id": 1, "turn": 1, "judge": "j", "prompt": "p"}
    games = [
        PairGame(model_1="a", model_2="b", game=1, winner="model_1", strong=True, verdict="A>>B", **g),
        PairGame(model_1="b", model_2="a", game=1, winner="model_2", verdict="B>A", **g),  # game 2 of (a, b)
        PairGame(model_1="c", model_2="b", game=1, winner="model_1", strong=True, **(g | {"question_id": 2})),
        PairGame(model_1="c", model_2="b", game=2, winner="tie", **(g | {"question_id": 2})),
    ]
    table = stats.to_records(stats.pairwise_table(games, "b", strong_weight=3))
    assert [(r["model"], r["win"], r["tie"], r["n"]) for r in table] == [("a", 3, 0, 3), ("c", 0, 1, 1)]
    comp = stats.comparisons(games, "b")
    assert (comp.strong.tolist(), len(comp.weighted(3))) == ([True, False], 4)


def test_an_anthropic_judge_stopped_at_max_tokens_is_reasked(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = questions(tmp_path, ONE_TURN)

    def reply(body: dict[str, Any]) -> str:
        if model_of(body) == "m1":
            return "One."
        if "I could not find your grade" in last_user_text(body):
            return "[[5]]"
        return "Thinking it over carefully. " * 30 + "[[9]]"  # the grade comes after the cut

    llm_server.reply = reply
    answer(llm_server, tmp_path, qfile, "m1")
    run = judge(
        JudgeJob(
            judge="anthropic/claude-test",
            questions=str(qfile),
            results_dir=tmp_path / "results",
            max_tokens=30,
            provider_options=ProviderOptions(base_url=llm_server.url, timeout=10, api_key_env="JB_TEST_KEY"),
            retry=FAST_RETRY,
        )
    )
    (record,) = load_judgments(run.path)
    assert (record.score, record.attempts, [r.finish_reason for r in record.reasks]) == (5.0, 2, ["max_tokens"])
    sent = [r.json for r in llm_server.requests if r.path.endswith("/messages")]
    assert [b["max_tokens"] for b in sent] == [30, 60]


def test_an_unknown_output_format_is_refused_before_any_call(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = questions(tmp_path, ONE_TURN)
    llm_server.reply = lambda body: "One."
    answer(llm_server, tmp_path, qfile, "m1")
    llm_server.clear()
    prompts = tmp_path / "prompts.jsonl"
    record = {"name": "single-v1", "type": "single", "system_prompt": "Grade.", "prompt_template": "{answer}"}
    prompts.write_text(json.dumps(record | {"output_format": "[[1-5]]"}) + "\n")
    with pytest.raises(UsageError, match=r"prompts.jsonl: judge prompt 'single-v1': output_format '\[\[1-5\]\]'"):
        judge(judge_job(llm_server, tmp_path, qfile, prompts=str(prompts)))
    assert llm_server.requests == []
