"""Verdicts read from token probabilities: the OpenAI path (logprobs/top_logprobs) and the pipeline."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest
from builders import answered_bench
from llm_server import LLMServer

from judgebench.errors import UsageError
from judgebench.pipeline.judge import JudgeJob, judge
from judgebench.providers import ProviderOptions, VerdictLogprobs
from judgebench.providers.fake import FakeProvider
from judgebench.providers.openai import OpenAIProvider
from judgebench.records import Message
from judgebench.storage import load_judgments, load_pair_games


def test_openai_reads_top_logprobs_after_the_opener(llm_server: LLMServer) -> None:
    llm_server.reply = lambda body: "[[8]]"
    llm_server.alternatives = {"8": {"8": math.log(0.6), "7": math.log(0.3), "eight": math.log(0.1)}}
    provider = OpenAIProvider("judge", ProviderOptions(base_url=llm_server.base_url))

    async def go() -> dict[str, float]:
        try:
            return await provider.verdict_distribution([Message("user", "grade")], "[[", ["7", "8", "9"], "]]")
        finally:
            await provider.aclose()

    found = asyncio.run(go())
    assert found == pytest.approx({"8": math.log(0.6), "7": math.log(0.3)})
    # the server's usage is kept (its token counts are word counts: "grade" in, "[[8]]" out)
    assert isinstance(found, VerdictLogprobs)
    assert (found.input_tokens, found.output_tokens) == (1, 1)
    body = llm_server.requests[-1].json
    assert body["logprobs"] is True and body["top_logprobs"] == 20 and body["temperature"] == 0.0


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    qfile = tmp_path / "tiny.jsonl"
    rows = [{"question_id": 1, "category": "writing", "turns": ["Write a haiku.", "Now make it rhyme."]}]
    return answered_bench(qfile, rows, ("alpha", "beta"))


def test_api_judge_with_logprob_verdicts(llm_server: LLMServer, bench: Path, tmp_path: Path) -> None:
    def reply(body: dict[str, object]) -> str:
        last = str(body["messages"][-1]["content"])  # type: ignore[index]
        return "[[A]]" if "[[A]]" in last else "[[8]]"

    llm_server.reply = reply
    llm_server.alternatives = {
        "8": {"8": math.log(0.6), "7": math.log(0.3)},
        "A": {"A": math.log(0.5), "B": math.log(0.2), "C": math.log(0.3)},
    }
    options = ProviderOptions(base_url=llm_server.base_url)
    common = {"questions": str(bench), "results_dir": tmp_path / "results", "verdict": "logprobs"}
    single = judge(JudgeJob(judge="openai/judge", provider_options=options, **common))  # type: ignore[arg-type]
    assert (single.judged, single.unparsed) == (4, 0)
    assert single.usage.calls == 4 and single.usage.output_tokens == 4  # "[[8]]" is one word a call
    assert single.usage.input_tokens == sum(_words(r.json) for r in llm_server.requests)
    rows = load_judgments(single.path)
    assert all(r.score == pytest.approx((8 * 0.6 + 7 * 0.3) / 0.9, abs=1e-4) for r in rows)
    assert "P(8)=0.667" in rows[0].judgment
    pair = judge(
        JudgeJob(judge="openai/judge", mode="pairwise", baseline="beta", provider_options=options, **common)  # type: ignore[arg-type]
    )
    assert (pair.judged, pair.unparsed) == (4, 0)
    games = load_pair_games(pair.path)
    assert {g.game: g.winner for g in games if g.turn == 1} == {1: "model_1", 2: "model_2"}
    # text verdicts are unaffected and keyed apart: a text run judges everything again
    text = judge(JudgeJob(judge="openai/judge", provider_options=options, questions=str(bench),
                          results_dir=tmp_path / "results", verdict="text"))  # fmt: skip
    assert text.skipped == 0 and text.judged == 4


def test_logprobs_need_a_judge_that_has_them(bench: Path, tmp_path: Path) -> None:
    job = JudgeJob(judge="fake/j", questions=str(bench), results_dir=tmp_path / "results", verdict="logprobs")
    with pytest.raises(UsageError, match="cannot report token probabilities"):
        judge(job, provider=FakeProvider("j"))


def _words(body: dict[str, object]) -> int:
    """The loopback server's prompt token count: words of every message."""
    return sum(len(str(m["content"]).split()) for m in body["messages"])  # type: ignore[attr-defined]
