"""In-process models (hf/…) on a tiny random Llama: templates, batching, seeds, stops, two turns, resume."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from builders import write_questions
from clirun import assert_one_line_error, judgebench

from judgebench.errors import ConfigError, UsageError
from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.pipeline.judge import JudgeJob, judge
from judgebench.providers import Completion, Decoding, LocalOptions, ProviderOptions, VerdictLogprobs, create_provider
from judgebench.records import Message
from judgebench.storage import load_answers, load_judgments

pytest.importorskip("transformers")

from judgebench.providers.hf import HFProvider

PROMPTS = [
    "write a short poem about the sea",
    "explain why the sum of two even numbers is even, in one line",
    "one two",
    "the quick brown fox jumps over the lazy dog and then the dog jumps over the fox again and again",
    "question",
    "refine that now: seven eight nine ten",
]
GREEDY = Decoding(temperature=0.0, max_tokens=12)


@pytest.fixture(autouse=True)
def no_deprecated_transformers_api(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """transformers announces most deprecations in log lines, not warnings: -W error misses them, this does not."""
    yield
    said = [r.getMessage() for r in caplog.get_records("call") if r.name.startswith("transformers")]
    assert not [m for m in said if "deprecat" in m.lower()], said


def provider(folder: Path, batch_size: int = 8, **local: object) -> HFProvider:
    options = ProviderOptions(local=LocalOptions(dtype="float32", batch_size=batch_size, **local))  # type: ignore[arg-type]
    return HFProvider(str(folder), options)


def together(p: HFProvider, requests: Sequence[tuple[Sequence[Message], Decoding]]) -> list[Completion]:
    async def go() -> list[Completion]:
        try:
            return list(await asyncio.gather(*(p.complete(m, d) for m, d in requests)))
        finally:
            await p.aclose()

    return asyncio.run(go())


def one_at_a_time(p: HFProvider, requests: Sequence[tuple[Sequence[Message], Decoding]]) -> list[Completion]:
    async def go() -> list[Completion]:
        try:
            return [await p.complete(m, d) for m, d in requests]
        finally:
            await p.aclose()

    return asyncio.run(go())


def asks(decoding: Decoding = GREEDY, prompts: Sequence[str] = PROMPTS) -> list[tuple[list[Message], Decoding]]:
    return [([Message("user", text)], decoding) for text in prompts]


def test_batched_greedy_equals_one_at_a_time(tiny_llama: Path) -> None:
    batched_provider = provider(tiny_llama, batch_size=8)
    batched = together(batched_provider, asks())
    assert batched_provider.batch_sizes == [len(PROMPTS)]  # all in one left-padded generate()
    alone = one_at_a_time(provider(tiny_llama, batch_size=1), asks())
    assert [c.text for c in batched] == [c.text for c in alone]
    assert all(c.output_tokens == 12 and c.finish_reason == "length" for c in batched)
    assert [c.input_tokens for c in batched] == [c.input_tokens for c in alone]


def test_batches_are_capped_and_length_sorted(tiny_llama: Path) -> None:
    p = provider(tiny_llama, batch_size=4)
    together(p, asks())
    assert p.batch_sizes == [4, 2]


def test_seeded_sampling_is_reproducible_whatever_the_batch(tiny_llama: Path) -> None:
    sampled = Decoding(temperature=1.0, max_tokens=12, seed=7)
    in_batch = together(provider(tiny_llama), [*asks(GREEDY), ([Message("user", PROMPTS[0])], sampled)])
    alone = one_at_a_time(provider(tiny_llama, batch_size=1), [([Message("user", PROMPTS[0])], sampled)])
    assert in_batch[-1].text == alone[0].text
    other_seed = Decoding(temperature=1.0, max_tokens=12, seed=8)
    again = one_at_a_time(provider(tiny_llama), [([Message("user", PROMPTS[0])], other_seed)] * 1)
    greedy = in_batch[0].text
    assert again[0].text != alone[0].text or alone[0].text != greedy  # sampling changed something


def test_stop_strings_cut_the_reply(tiny_llama: Path) -> None:
    full = one_at_a_time(provider(tiny_llama), asks(Decoding(0.0, 16), PROMPTS[:1]))[0].text
    stop = full[len(full) // 2 : len(full) // 2 + 2]
    assert stop.strip(), full
    cut = one_at_a_time(provider(tiny_llama), asks(Decoding(0.0, 16, stop=(stop,)), PROMPTS[:1]))[0]
    assert cut.text == full[: full.index(stop)]
    assert cut.finish_reason == "stop"


def test_eos_ends_one_row_of_a_batch(tiny_llama: Path) -> None:
    reference = together(provider(tiny_llama), asks())
    p = provider(tiny_llama)
    first_token = p.tokenizer(reference[0].text, add_special_tokens=False)["input_ids"][2]
    p.eos_ids = [first_token]  # make a token row 0 emits third end the reply
    result = together(p, asks())[0]
    assert result.finish_reason == "stop"
    assert result.output_tokens is not None and result.output_tokens <= 2


def test_chat_template_places_the_system_prompt(tiny_llama: Path) -> None:
    p = provider(tiny_llama)
    text = p.prompt_text([Message("system", "be brief"), Message("user", "hello")])
    assert text == "<s><|system|>\nbe brief<|end|>\n<|user|>\nhello<|end|>\n<|assistant|>\n"


def test_a_template_without_system_role_gets_it_folded(tiny_llama: Path, tmp_path: Path) -> None:
    template = tmp_path / "nosystem.jinja"
    template.write_text(
        "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
        "{% endif %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}<|assistant|>\n"
    )
    p = provider(tiny_llama, chat_template=str(template))
    text = p.prompt_text([Message("system", "be brief"), Message("user", "hello")])
    assert text == "<|user|>\nbe brief\n\nhello<|end|>\n<|assistant|>"  # jinja drops the final newline


def test_model_without_chat_template(tiny_llama_no_template: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="has no chat template — pass --chat-template FILE"):
        provider(tiny_llama_no_template)
    qfile = write_questions(tmp_path / "q.jsonl", n=1)
    model = f"hf/{tiny_llama_no_template}"
    proc = judgebench("gen-answers", "-m", model, "-q", str(qfile), "--max-tokens", "4", cwd=tmp_path)
    assert_one_line_error(proc, 1, "has no chat template", "--chat-template")
    template = tmp_path / "chat.jinja"
    template.write_text("{% for m in messages %}{{ m['content'] }}\n{% endfor %}")
    args = ("-q", str(qfile), "--max-tokens", "4", "--chat-template", str(template), "--dtype", "float32")
    ok = judgebench("gen-answers", "-m", model, *args, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr


def test_path_that_is_not_a_model_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notamodel").mkdir()
    for path, what in ((tmp_path / "notamodel", "is not a model folder"), (tmp_path / "missing", "does not exist")):
        proc = judgebench("gen-answers", "-m", f"hf/{path}", cwd=tmp_path)
        assert_one_line_error(proc, 2, what, "save_pretrained")
    with pytest.raises(UsageError, match="no such embedded model"):
        create_provider("local/nope")


def test_missing_extra_is_a_one_line_hint(tmp_path: Path) -> None:
    code = (
        "import sys\nsys.modules['torch'] = None\n"
        "from judgebench.providers import create_provider\n"
        "from judgebench.errors import MissingExtraError\n"
        "try:\n    create_provider('hf/some-org/some-model')\n"
        "except MissingExtraError as exc:\n    print('HINT', exc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "HINT torch is not installed" in proc.stdout, proc.stdout + proc.stderr
    assert "pip install 'judgebench[local]'" in proc.stdout


class Recording(HFProvider):
    """Counts calls and keeps the conversations it was asked to continue."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.seen: list[tuple[Message, ...]] = []

    async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
        self.seen.append(tuple(messages))
        return await super().complete(messages, decoding)


def test_two_turns_batched_through_the_pipeline_and_resume(tiny_llama: Path, tmp_path: Path) -> None:
    qfile = write_questions(tmp_path / "mini.jsonl", n=6)
    options = ProviderOptions(local=LocalOptions(dtype="float32", batch_size=4))
    job = AnswerJob(
        model=f"hf/{tiny_llama}", questions=str(qfile), results_dir=tmp_path / "results", max_tokens=6, seed=3
    )
    p = Recording(str(tiny_llama), options)
    run = gen_answers(job, provider=p)
    assert (run.answered, run.failed) == (6, 0)
    assert max(p.batch_sizes) == 4 and sum(p.batch_sizes) == 12  # 6 questions x 2 turns, batched
    answers = load_answers(run.path)
    for answer in answers.values():
        turn1 = answer.choices[0].turns[0]
        # turn 2 was generated from the model's own turn-1 answer
        assert any(len(m) == 3 and m[1] == Message("assistant", turn1) for m in p.seen)
    again = Recording(str(tiny_llama), options)
    rerun = gen_answers(job, provider=again)
    assert (rerun.skipped, rerun.answered, again.seen) == (6, 0, [])
    # the same seeds give the same sampled answers in a fresh run
    fresh = gen_answers(
        AnswerJob(model=job.model, questions=job.questions, results_dir=tmp_path / "fresh", max_tokens=6, seed=3),
        provider=Recording(str(tiny_llama), options),
    )
    redo = load_answers(fresh.path)
    assert {k: a.choices for k, a in redo.items()} == {k: a.choices for k, a in answers.items()}


def test_cli_gen_answers_with_a_local_model(tiny_llama: Path, tmp_path: Path) -> None:
    qfile = write_questions(tmp_path / "mini.jsonl", n=3)
    args = ("-q", str(qfile), "--max-tokens", "5", "--dtype", "float32", "--batch-size", "2", "--stop", "zz")
    proc = judgebench("gen-answers", "-m", f"hf/{tiny_llama}", *args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [path] = (tmp_path / "results" / "mini" / "answers").glob("*.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == 3 and all(r["status"] == "ok" and len(r["choices"][0]["turns"]) == 2 for r in rows)
    assert rows[0]["model"] == f"hf/{tiny_llama}"


def test_verdict_distribution_is_exact_and_local_judge_never_fails_to_parse(tiny_llama: Path, tmp_path: Path) -> None:
    p = provider(tiny_llama)

    async def scores() -> dict[str, float]:
        try:
            return await p.verdict_distribution([Message("user", "grade it")], "[[", ["1", "7", "10"], "]]")
        finally:
            await p.aclose()

    logprobs = asyncio.run(scores())
    assert set(logprobs) == {"1", "7", "10"} and all(lp < 0 for lp in logprobs.values())
    # The tokens it read are counted: the prompt once, plus each verdict's tokens after its first.
    text = p.prompt_text([Message("user", "grade it")]) + "[["
    prefix = len(p.tokenizer(text, add_special_tokens=False)["input_ids"])
    extra = sum(
        len(p.tokenizer(text + v + "]]", add_special_tokens=False)["input_ids"]) - prefix - 1 for v in ["1", "7", "10"]
    )
    assert isinstance(logprobs, VerdictLogprobs)
    assert (logprobs.input_tokens, logprobs.output_tokens) == (prefix + extra, 0)
    assert prefix > 5 and extra >= 3  # every tail ends with "]]" after the value

    qfile = write_questions(tmp_path / "mini.jsonl", n=2)
    results = tmp_path / "results"
    from judgebench.providers.fake import FakeProvider

    gen_answers(
        AnswerJob(model="fake/a", questions=str(qfile), results_dir=results, name="a"), provider=FakeProvider("a")
    )
    run = judge(
        JudgeJob(judge=f"hf/{tiny_llama}", questions=str(qfile), results_dir=results),
        provider=provider(tiny_llama),
    )
    assert (run.judged, run.unparsed, run.failed) == (4, 0, 0)
    assert run.usage.calls == 4 and run.usage.input_tokens > 4 * prefix and run.usage.output_tokens == 0
    rows = load_judgments(run.path)
    assert all(r.score is not None and 1.0 <= r.score <= 10.0 for r in rows)
    assert all("read from token probabilities" in r.judgment for r in rows)
    assert "Reply with the grade only" in rows[0].user_prompt
