"""The bad-input corpus: every case gives one clear line (file:line or option, and the fix),
its documented exit code, no traceback, and leaves every results file as it was."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from builders import write_questions
from clirun import assert_one_line_error, judgebench

from judgebench.storage import answers_path

GOOD_Q = {"question_id": 1, "category": "math", "turns": ["What is 2+2?", "And 3+3?"]}


def qline(**changes: object) -> str:
    return json.dumps({**GOOD_Q, **changes}) + "\n"


@dataclass(frozen=True)
class Case:
    name: str
    args: list[str]
    code: int
    needles: tuple[str, ...]
    setup: Callable[[Path], None] | None = None


def questions(text: str | bytes, name: str = "q.jsonl") -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        (root / name).write_bytes(data)

    return setup


def answered(root: Path) -> None:
    """Two fake models' answers to a small question set in q.jsonl."""
    write_questions(root / "q.jsonl", n=3)
    for name in ("a", "b"):
        assert judgebench("gen-answers", "-m", f"fake/{name}", "-q", "q.jsonl", cwd=root).returncode == 0


def corrupt_answers(root: Path) -> None:
    answered(root)
    path = answers_path(root / "results", "q", "fake/a")
    text = path.read_text().splitlines()
    text[1] = text[1][: len(text[1]) // 2]
    path.write_text("\n".join(text) + "\n")


def prompts_file(records: list[dict[str, object]]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        answered(root)
        (root / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))

    return setup


def device_as_answers_file(root: Path) -> None:
    """The answers file is a device, not a file (reading /dev/zero would never end)."""
    write_questions(root / "q.jsonl", n=2)
    path = answers_path(root / "results", "q", "fake/x")
    path.parent.mkdir(parents=True)
    os.symlink("/dev/zero", path)


def results_is_a_file(root: Path) -> None:
    write_questions(root / "q.jsonl", n=2)
    (root / "results").write_text("not a folder")


def bad_judgments(root: Path) -> None:
    answered(root)
    path = root / "results" / "q" / "judgments" / "j_single.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text('{"question_id": 1, "model": "m", "judge": ["j", "p"], "turn": 0, "score": 5}\n')


def fastchat_dir_without_answers(root: Path) -> None:
    (root / "fc" / "model_judgment").mkdir(parents=True)
    (root / "fc" / "model_judgment" / "gpt-4_single.jsonl").write_text("{not json\n")


GEN = ["gen-answers", "-m", "fake/x", "-q", "q.jsonl"]
JUDGE = ["judge", "-j", "fake/judge", "-q", "q.jsonl"]
CASES = [
    Case("malformed JSON line", GEN, 1, ("q.jsonl:2", "invalid JSON", "fix or delete"), questions(qline() + "{oops\n")),
    Case("not UTF-8", GEN, 1, ("q.jsonl:1", "not UTF-8", "save the file as UTF-8"), questions(b'{"a": "\xff"}\n')),
    Case("missing category", GEN, 1, ("q.jsonl:1", "missing field 'category'"), questions('{"question_id": 1, "turns": ["x"]}\n')),
    Case("turns not a list", GEN, 1, ("q.jsonl:1", "'turns' must be list"), questions(qline(turns="x"))),
    Case("no turns", GEN, 1, ("q.jsonl:1", "'turns' is an empty list"), questions(qline(turns=[]))),
    Case("blank turn", GEN, 1, ("q.jsonl:1", "turns[1] is empty"), questions(qline(turns=["a", "  "]))),
    Case("turn not text", GEN, 1, ("q.jsonl:1", "turns[0] must be a string"), questions(qline(turns=[3]))),
    Case("boolean id", GEN, 1, ("q.jsonl:1", "'question_id' must be int or str"), questions(qline(question_id=True))),
    Case("float id", GEN, 1, ("q.jsonl:1", "'question_id' must be int or str"), questions(qline(question_id=1.5))),
    Case("duplicate ids", GEN, 1, ("q.jsonl:2", "duplicate question_id 1 (first at line 1)"), questions(qline() * 2)),
    Case("empty file", GEN, 1, ("q.jsonl", "no questions in file"), questions("\n\n")),
    Case("array, not object", GEN, 1, ("q.jsonl:1", "expected a JSON object"), questions("[1, 2]\n")),
    Case("reference not a list", GEN, 1, ("q.jsonl:1", "'reference' must be list"), questions(qline(reference="4"))),
    Case("no such question set", ["gen-answers", "-m", "fake/x", "-q", "nope.jsonl"], 2, ("--questions 'nope.jsonl'",)),
    Case("unknown provider", ["gen-answers", "-m", "acme/x"], 2, ("unknown provider 'acme'", "--base-url")),
    Case("unknown bare model name", ["gen-answers", "-m", "vicunaa-13b"], 2, ("unknown model 'vicunaa-13b'", "close matches: vicuna-13b", "provider/model")),
    Case("missing API key", ["gen-answers", "-m", "anthropic/claude-x"], 1, ("ANTHROPIC_API_KEY is not set",)),
    Case("unknown question id", [*GEN, "--question-ids", "1,99"], 2, ("no question with id 99",), questions(qline())),
    Case("parallel 0", [*GEN, "--parallel", "0"], 2, ("--parallel 0: must be at least 1",), questions(qline())),
    Case("max tokens 0", [*GEN, "--max-tokens", "0"], 2, ("--max-tokens 0",), questions(qline())),
    Case("temperature 5", [*GEN, "--temperature", "5"], 2, ("--temperature 5.0: must be between 0 and 2",), questions(qline())),
    Case("corrupt answers file", ["gen-answers", "-m", "fake/a", "-q", "q.jsonl"], 1, ("fake__a.jsonl:2", "invalid JSON"), corrupt_answers),
    Case("answers of another model", [*GEN[:2], "fake/b", "--name", "fake__a", "-q", "q.jsonl"], 2, ("holds answers of 'fake/a', not 'fake__a'",), answered),
    Case("answers file is a device", GEN, 1, ("fake__x.jsonl", "not a regular file"), device_as_answers_file),
    Case("results dir is a file", GEN, 1, ("cannot write results", "choose a writable --results-dir"), results_is_a_file),
    Case("unknown prompts set", [*JUDGE, "--prompts", "nope"], 2, ("--prompts 'nope'",), answered),
    Case("prompt missing a field", [*JUDGE, "--prompts", "p.jsonl"], 1, ("p.jsonl:1", "missing field 'system_prompt'"),
         prompts_file([{"name": "single-v1", "type": "single", "prompt_template": "{answer}", "output_format": "[[rating]]"}])),
    Case("prompt set lacking a prompt", [*JUDGE, "--prompts", "p.jsonl"], 2, ("single-multi-v1",),
         prompts_file([{"name": "single-v1", "type": "single", "system_prompt": "Grade [[N]].",
                        "prompt_template": "{question} {answer}", "output_format": "[[rating]]"}])),
    Case("pairwise without a design", [*JUDGE, "--mode", "pairwise"], 2, ("--baseline MODEL or --all-pairs",), answered),
    Case("baseline without answers", [*JUDGE, "--mode", "pairwise", "--baseline", "zz"], 2, ("no answers for zz",), answered),
    Case("judge a model without answers", [*JUDGE, "-m", "zz"], 2, ("no answers for zz", "have: fake/a, fake/b"), answered),
    Case("bad judgment record", ["report", "-q", "q.jsonl"], 1, ("j_single.jsonl:1", "'turn' must be 1 or more"), bad_judgments),
    Case("report without judgments", ["report", "-q", "q.jsonl"], 2, ("no judgments in",), answered),
    Case("unknown dataset", ["datasets", "pull", "nope"], 2, ("unknown dataset 'nope'",)),
    Case("FastChat dir with a bad line", ["import", "fastchat", "fc"], 1, ("gpt-4_single.jsonl:1", "invalid JSON"), fastchat_dir_without_answers),
]  # fmt: skip


def snapshot(root: Path) -> dict[str, bytes]:
    results = root / "results"
    if not results.is_dir():
        return {}
    return {
        str(p.relative_to(root)): p.read_bytes() for p in results.rglob("*.jsonl") if p.is_file() and not p.is_symlink()
    }


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(tmp_path: Path, case: Case) -> None:
    if case.setup is not None:
        case.setup(tmp_path)
    before = snapshot(tmp_path)
    proc = judgebench(*case.args, cwd=tmp_path)
    assert_one_line_error(proc, case.code, *case.needles)
    assert snapshot(tmp_path) == before, "a results file changed"


def test_empty_and_megabyte_answers_are_stored_and_judged(tmp_path: Path) -> None:
    """Not errors: an empty answer and a 1 MB answer go through answers and judging intact."""
    from judgebench.pipeline import AnswerJob, gen_answers
    from judgebench.pipeline.judge import JudgeJob, judge
    from judgebench.providers.fake import FakeProvider
    from judgebench.storage import load_answers, load_judgments

    qfile = write_questions(tmp_path / "q.jsonl", n=2)
    big = "lorem ipsum " * 90_000
    texts = iter(["", "", big, big])
    gen_answers(
        AnswerJob(model="fake/x", questions=str(qfile), results_dir=tmp_path / "results", parallel=1),
        provider=FakeProvider("x", reply=lambda messages: next(texts)),
    )
    answers = load_answers(answers_path(tmp_path / "results", "q", "fake/x"))
    assert answers["1"].choices[0].turns == ("", "")
    assert answers["2"].choices[0].turns == (big, big)
    run = judge(
        JudgeJob(judge="fake/judge", questions=str(qfile), results_dir=tmp_path / "results"),
        provider=FakeProvider("judge"),
    )
    assert run.judged == 4
    assert all(big in j.user_prompt for j in load_judgments(run.path) if j.question_id == 2)


def test_disk_full_mid_run_keeps_what_was_written_and_resumes(tmp_path: Path) -> None:
    """A file-size limit (RLIMIT_FSIZE) makes writes fail mid-run, as a full disk does."""
    import resource
    import subprocess
    import sys

    write_questions(tmp_path / "q.jsonl", n=30)

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (6_000, 6_000))

    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    proc = subprocess.run(
        [sys.executable, "-m", "judgebench", "gen-answers", "-m", "fake/x", "-q", "q.jsonl", "--parallel", "1"],
        cwd=tmp_path,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit_file_size,
    )
    assert_one_line_error(proc, 1, "write failed (File too large)", "rerun to resume")
    path = answers_path(tmp_path / "results", "q", "fake/x")
    written = path.read_bytes()
    assert 0 < len(written) <= 6_000
    resumed = judgebench("gen-answers", "-m", "fake/x", "-q", "q.jsonl", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(r["question_id"] for r in records) == list(range(1, 31))
