"""FastChat's MT-Bench judging reproduced: its prompt file, its selection rules, its exact messages.

The expected renderings come from FastChat's own ``judge_prompts.jsonl`` and its
rules (reference-guided prompts for math, reasoning and coding; multi-turn
prompts for turn 2; ``ref_answer_1``/``ref_answer_2`` from
``reference_answer/gpt-4.jsonl``), and from the user prompts FastChat itself
recorded in published judgment files. All inputs are read at run time from
``../shared/mtbench``; nothing of FastChat's is stored in this repo.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from builders import MTBENCH, REPO
from clirun import assert_one_line_error, judgebench
from llm_server import LLMServer

from judgebench.errors import UsageError
from judgebench.judging import (
    FASTCHAT_REFERENCE_CATEGORIES,
    is_fastchat_set,
    missing_references,
    render_pair,
    render_single,
    select_prompt,
)
from judgebench.records import JudgePrompt, Message, Question
from judgebench.storage import load_answers, load_judge_prompts, load_judgments, load_questions, resolve_question_set

PROMPTS = MTBENCH / "judge_prompts.jsonl"
needs_shared = pytest.mark.skipif(not PROMPTS.is_file(), reason="needs ../shared/mtbench (real FastChat files)")


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def fastchat_prompts() -> dict[str, JudgePrompt]:
    if not PROMPTS.is_file():
        pytest.skip("needs ../shared/mtbench (real FastChat files)")
    return load_judge_prompts(PROMPTS)


@pytest.fixture
def mt_bench() -> dict[str, Question]:
    if not PROMPTS.is_file():
        pytest.skip("needs ../shared/mtbench (real FastChat files)")
    qset = load_questions(MTBENCH / "question.jsonl")
    return {str(q.question_id): q for q in qset.questions}


def test_fastchat_prompt_records_are_recognised(fastchat_prompts: dict[str, JudgePrompt]) -> None:
    flags = {n: (p.kind, p.reference, p.multi_turn, p.style) for n, p in fastchat_prompts.items()}
    assert flags == {
        "pair-v2": ("pairwise", False, False, "fastchat"),
        "pair-v2-multi-turn": ("pairwise", False, True, "fastchat"),
        "pair-math-v1": ("pairwise", True, False, "fastchat"),
        "pair-math-v1-multi-turn": ("pairwise", True, True, "fastchat"),  # FastChat files it as "general"
        "single-v1": ("single", False, False, "fastchat"),
        "single-math-v1": ("single", True, False, "fastchat"),
        "single-v1-multi-turn": ("single", False, True, "fastchat"),
        "single-math-v1-multi-turn": ("single", True, True, "fastchat"),
    }
    assert is_fastchat_set(fastchat_prompts)
    bundled = load_judge_prompts(REPO / "judge_prompts" / "jb-v1.jsonl")
    assert not is_fastchat_set(bundled)
    assert {p.style for p in bundled.values()} == {"judgebench"}


def test_reference_categories_are_fastchats(fastchat_prompts: dict[str, JudgePrompt]) -> None:
    """FastChat's ``NEED_REF_CATS`` (fastchat/llm_judge/common.py line 31, lm-sys/FastChat 0e6d3e4).

    The choices for the categories in stored judgments are checked against FastChat's own in
    ``e2e/test_parity_fastchat.py::test_prompt_choice_equals_what_fastchat_recorded``; ``arena-hard-200`` is in no
    stored file, so its rule is checked here.
    """
    assert frozenset({"math", "reasoning", "coding", "arena-hard-200"}) == FASTCHAT_REFERENCE_CATEGORIES
    q = Question(1, "arena-hard-200", ("q1", "q2"), ("r1", "r2"))
    picked = [select_prompt(fastchat_prompts, k, q, t, FASTCHAT_REFERENCE_CATEGORIES).name
              for k in ("single", "pairwise") for t in (1, 2)]  # fmt: skip
    assert picked == ["single-math-v1", "single-math-v1-multi-turn", "pair-math-v1", "pair-math-v1-multi-turn"]


def test_text_is_filled_in_verbatim_and_turn_three_is_refused(fastchat_prompts: dict[str, JudgePrompt]) -> None:
    """Braces and markers in questions and answers pass through untouched; FastChat's prompts know two turns.

    That the whole rendering equals FastChat's is checked on the prompts FastChat itself stored
    (``test_renderings_equal_what_fastchat_recorded``, 170 of which contain braces).
    """
    q = Question(7, "math", ("What is 2+2? <<<x>>>", "And 3+3?"), ("4", "6"))
    chosen = select_prompt(fastchat_prompts, "single", q, 2, FASTCHAT_REFERENCE_CATEGORIES)
    system, user = render_single(chosen, q, ("four {x}", "six {answer_1}"), 2)
    assert system == Message("system", chosen.system_prompt)
    assert user.role == "user"
    # The multi-turn reference prompt shows the questions twice: with the reference, then with the answers.
    counts = {"What is 2+2? <<<x>>>": 2, "And 3+3?": 2, "four {x}": 1, "six {answer_1}": 1, "\n4\n": 1, "\n6\n": 1}
    assert {text: user.content.count(text) for text in counts} == counts
    single2 = fastchat_prompts["single-math-v1-multi-turn"]
    with pytest.raises(UsageError, match="turn 2 of two-turn questions only"):
        render_single(single2, Question(8, "math", ("a", "b", "c"), ("1", "2", "3")), ("x", "y", "z"), 3)


@needs_shared
@pytest.mark.parametrize("bench", ["Stefanstud_FastChat", "jxiw_FastChat", "instructlab_eval"])
def test_renderings_equal_what_fastchat_recorded(
    bench: str, fastchat_prompts: dict[str, JudgePrompt], mt_bench: dict[str, Question]
) -> None:
    """Every user prompt FastChat's gen_judgment stored in these judgment files, byte for byte."""
    src = MTBENCH / "third_party" / bench
    answers = {p.stem: load_answers(p) for p in (src / "model_answer").glob("*.jsonl")}
    n = braces = 0
    for row in rows(src / "model_judgment" / "gpt-4_single.jsonl"):
        q = mt_bench[str(row["question_id"])]
        prompt = select_prompt(fastchat_prompts, "single", q, row["turn"], FASTCHAT_REFERENCE_CATEGORIES)
        assert prompt.name == row["judge"][1]
        turns = answers[row["model"]][str(row["question_id"])].choices[0].turns
        assert render_single(prompt, q, turns, row["turn"]) == [
            Message("system", prompt.system_prompt),
            Message("user", row["user_prompt"]),
        ]
        n += 1
        braces += "{" in row["user_prompt"]
    assert n == {"Stefanstud_FastChat": 160, "jxiw_FastChat": 960, "instructlab_eval": 160}[bench]
    assert braces == {"Stefanstud_FastChat": 19, "jxiw_FastChat": 114, "instructlab_eval": 25}[bench]
    pair_file = src / "model_judgment" / "gpt-4_pair.jsonl"
    for row in rows(pair_file) if pair_file.is_file() else []:
        q = mt_bench[str(row["question_id"])]
        prompt = select_prompt(fastchat_prompts, "pairwise", q, row["turn"], FASTCHAT_REFERENCE_CATEGORIES)
        assert prompt.name == row["judge"][1]
        t1 = answers[row["model_1"]][str(row["question_id"])].choices[0].turns
        t2 = answers[row["model_2"]][str(row["question_id"])].choices[0].turns
        assert render_pair(prompt, q, t1, t2, row["turn"])[-1].content == row["g1_user_prompt"]
        assert render_pair(prompt, q, t2, t1, row["turn"])[-1].content == row["g2_user_prompt"]


# --- references from one place ------------------------------------------------------------


def test_mt_bench_references_come_from_reference_answer(mt_bench: dict[str, Question]) -> None:
    """q111's inline note and q123's missing inline reference give way to the GPT-4 reference answers."""
    qset = load_questions(MTBENCH / "question.jsonl")
    assert qset.references == "reference_answer/gpt-4.jsonl (30 questions)"
    assert mt_bench["111"].reference is not None
    assert mt_bench["111"].reference[0].startswith("To find the area of the triangle")
    assert mt_bench["123"].reference is not None and len(mt_bench["123"].reference) == 2
    assert mt_bench["95"].reference is None  # roleplay's inline note is not a GPT-4 reference
    assert missing_references(list(mt_bench.values())) == []
    other = load_questions(MTBENCH / "question.jsonl", reference_set="gpt-4-0125-preview")
    assert other.references == "reference_answer/gpt-4-0125-preview.jsonl (30 questions)"
    with pytest.raises(UsageError, match="--references 'claude': no such file or reference set"):
        load_questions(MTBENCH / "question.jsonl", reference_set="claude")


def test_own_jsonl_inline_and_folder_references(tmp_path: Path) -> None:
    qfile = tmp_path / "mine.jsonl"
    qfile.write_text(
        json.dumps({"question_id": 1, "category": "math", "turns": ["a", "b"], "reference": ["note"]})
        + "\n"
        + json.dumps({"question_id": 2, "category": "coding", "turns": ["c"]})
        + "\n"
    )
    inline = load_questions(qfile)
    assert inline.references == "inline 'reference' fields of mine.jsonl (1 question)"
    assert [(q.question_id, t) for q, t in missing_references(list(inline.questions))] == [(1, 2), (2, 1)]

    (tmp_path / "reference_answer").mkdir()
    ref = {"question_id": 2, "model_id": "gpt-4", "choices": [{"index": 0, "turns": ["def f(): ..."]}]}
    (tmp_path / "reference_answer" / "gpt-4.jsonl").write_text(json.dumps(ref) + "\n")
    folder = load_questions(qfile)
    assert folder.references == "reference_answer/gpt-4.jsonl (1 question)"
    assert [q.reference for q in folder.questions] == [None, ("def f(): ...",)]  # one place: the file

    (tmp_path / "reference_answer" / "gpt-4.jsonl").rename(tmp_path / "reference_answer" / "a.jsonl")
    shutil.copy(tmp_path / "reference_answer" / "a.jsonl", tmp_path / "reference_answer" / "b.jsonl")
    ambiguous = load_questions(qfile)
    assert ambiguous.references == "inline 'reference' fields of mine.jsonl (1 question)"
    assert ambiguous.notes == (
        f"{tmp_path / 'reference_answer'}: several reference sets (a, b); "
        "none used — choose one with --references NAME",
    )


# --- the CLI: imported bench, --preset mt-bench, --require-references --------------------------


def _pulled(cwd: Path) -> None:
    """What `datasets pull mt-bench` leaves in the data dir (the CLI runner's is cwd/data)."""
    folder = cwd / "data" / "datasets" / "mt-bench"
    (folder / "reference_answer").mkdir(parents=True)
    shutil.copy(MTBENCH / "question.jsonl", folder / "question.jsonl")
    shutil.copy(MTBENCH / "reference_answer" / "gpt-4.jsonl", folder / "reference_answer" / "gpt-4.jsonl")
    shutil.copy(PROMPTS, folder / "judge_prompts.jsonl")


def _fastchat_bench(tmp_path: Path) -> Path:
    src = tmp_path / "fc"
    shutil.copytree(MTBENCH / "third_party" / "Stefanstud_FastChat", src)
    shutil.copy(MTBENCH / "question.jsonl", src / "question.jsonl")
    shutil.copytree(MTBENCH / "reference_answer", src / "reference_answer")
    return src


@needs_shared
def test_judge_preset_mt_bench_sends_fastchat_exact_messages(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.reply = lambda body: "The answer is fine.\n\nRating: [[5]]"
    _pulled(tmp_path)
    src = _fastchat_bench(tmp_path)
    imported = judgebench("import", "fastchat", str(src), "--bench", "mtb", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    env = {"OPENAI_API_KEY": "sk-test"}
    args = ["-q", "mtb", "--preset", "mt-bench", "--base-url", llm_server.base_url, "-m", "phi-3-dpo"]
    proc = judgebench("judge", *args, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    said = proc.stdout + proc.stderr
    assert "references of mtb: reference_answer/gpt-4.jsonl (30 questions)" in said
    assert "160 judged now: 160 with a verdict" in said

    # FastChat's own record of the messages it sent to GPT-4 for phi-3-dpo
    recorded = [r for r in rows(src / "model_judgment" / "gpt-4_single.jsonl") if r["model"] == "phi-3-dpo"]
    system = {p.name: p.system_prompt for p in load_judge_prompts(PROMPTS).values()}
    expected = Counter(
        json.dumps(
            [{"role": "system", "content": system[r["judge"][1]]}, {"role": "user", "content": r["user_prompt"]}]
        )
        for r in recorded
    )
    requests = [r.json for r in llm_server.requests]
    assert len(requests) == 160
    assert Counter(json.dumps(r["messages"]) for r in requests) == expected
    assert {
        (r["model"], r["temperature"], r.get("max_tokens") or r.get("max_completion_tokens")) for r in requests
    } == {("gpt-4", 0.0, 2048)}

    grades = load_judgments(tmp_path / "results" / "mtb" / "judgments" / "openai__gpt-4_single.jsonl")
    assert Counter(g.prompt for g in grades) == Counter(r["judge"][1] for r in recorded)
    assert {(g.judge, g.score, g.model) for g in grades} == {("openai/gpt-4", 5.0, "phi-3-dpo")}

    again = judgebench("judge", *args, cwd=tmp_path, env=env)
    assert "0 judged now" in again.stdout and len(llm_server.requests) == 160


def test_preset_needs_the_pulled_prompts(tmp_path: Path) -> None:
    proc = judgebench("judge", "--preset", "mt-bench", cwd=tmp_path)
    assert_one_line_error(proc, 2, "--preset mt-bench", "judgebench datasets pull mt-bench")
    proc = judgebench("judge", cwd=tmp_path)
    assert_one_line_error(proc, 2, "--judge is required")
    proc = judgebench("judge", "-j", "fake/j", "--baseline", "m", cwd=tmp_path)
    assert_one_line_error(proc, 2, "--baseline and --all-pairs are for --mode pairwise")
    proc = judgebench("judge", "-j", "fake/j", "--pairs-from", "v.jsonl", cwd=tmp_path)  # single: the voted turns
    assert_one_line_error(proc, 1, "v.jsonl: file not found — check the path")
    proc = judgebench(
        "judge", "-j", "fake/j", "--mode", "pairwise", "--all-pairs", "--pairs-from", "v.jsonl", cwd=tmp_path
    )
    assert_one_line_error(proc, 2, "exactly one of --baseline MODEL or --all-pairs (or --pairs-from VOTES)")


def test_reference_turn_missing_is_named_and_can_be_refused(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.reply = lambda body: "Rating: [[6]]" if "system" in json.dumps(body) else "The answer is 391."
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(
        json.dumps({"question_id": 101, "category": "math", "turns": ["17*23?", "Add 9."], "reference": ["391"]})
        + "\n"
        + json.dumps(
            {"question_id": 102, "category": "math", "turns": ["12*12?", "Minus 44."], "reference": ["144", "100"]}
        )
        + "\n"
    )
    base = ["--base-url", llm_server.base_url, "-q", str(qfile)]
    env = {"OPENAI_API_KEY": "sk-test"}
    assert judgebench("gen-answers", "-m", "openai/m1", *base, cwd=tmp_path, env=env).returncode == 0
    calls = len(llm_server.requests)
    refused = judgebench("judge", "-j", "openai/judge", *base, "--require-references", cwd=tmp_path, env=env)
    assert_one_line_error(refused, 2, "--require-references", "question 101 turn 2 (math)")
    assert len(llm_server.requests) == calls  # nothing asked, nothing written
    assert not (tmp_path / "results" / "q" / "judgments").exists()

    proc = judgebench("judge", "-j", "openai/judge", *base, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    said = proc.stdout + proc.stderr
    assert "references of q: inline 'reference' fields of q.jsonl (2 questions)" in said
    assert "no reference answer for question 101 turn 2 (math): judged without a reference" in said
    grades = load_judgments(tmp_path / "results" / "q" / "judgments" / "openai__judge_single.jsonl")
    assert sorted((g.question_id, g.turn, g.prompt) for g in grades) == [
        (101, 1, "single-ref-v1"),
        (101, 2, "single-multi-v1"),
        (102, 1, "single-ref-v1"),
        (102, 2, "single-ref-multi-v1"),
    ]


def test_imported_bench_is_found_by_name(tmp_path: Path) -> None:
    """After `import fastchat --bench mtb`, `-q mtb` works for gen-answers and judge, with its references."""
    if not PROMPTS.is_file():
        pytest.skip("needs ../shared/mtbench (real FastChat files)")
    src = _fastchat_bench(tmp_path)
    assert judgebench("import", "fastchat", str(src), "--bench", "mtb", cwd=tmp_path).returncode == 0
    qset = resolve_question_set("mtb", tmp_path / "results")
    assert (qset.name, len(qset.questions)) == ("mtb", 80)
    by_folder = resolve_question_set(str(tmp_path / "results" / "mtb"))
    assert (by_folder.name, by_folder.references) == ("mtb", qset.references)
    assert qset.references == "reference_answer/gpt-4.jsonl (30 questions)"
    gen = judgebench("gen-answers", "-m", "fake/x", "-q", "mtb", "-n", "2", cwd=tmp_path)
    assert gen.returncode == 0, gen.stderr
    assert len(load_answers(tmp_path / "results" / "mtb" / "answers" / "fake__x.jsonl")) == 2
    dry = judgebench("judge", "-j", "fake/judge", "-q", "mtb", "-m", "phi-3", "-n", "3", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "would make 6 judge calls" in dry.stdout
    assert "references of mtb: reference_answer/gpt-4.jsonl (30 questions)" in dry.stdout + dry.stderr
    other = judgebench(
        "judge", "-j", "fake/judge", "-q", "mtb", "-m", "phi-3", "-n", "3", "--dry-run",
        "--references", "gpt-4-0125-preview", cwd=tmp_path,
    )  # fmt: skip
    assert "references of mtb: reference_answer/gpt-4-0125-preview.jsonl (30 questions)" in other.stdout + other.stderr
    wrong = judgebench("judge", "-j", "fake/judge", "-q", "mtb", "--references", "claude", "--dry-run", cwd=tmp_path)
    assert_one_line_error(wrong, 2, "--references 'claude': no such file or reference set", "gpt-4-0125-preview")
    report = judgebench("report", "-q", "mtb", "-f", "json", "--bootstrap", "0", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    exported = judgebench("export", "fastchat", "out", "-q", "mtb", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "out" / "model_answer" / "phi-3.jsonl").read_bytes() == (
        src / "model_answer" / "phi-3.jsonl"
    ).read_bytes()
    missing = judgebench("judge", "-j", "fake/judge", "-q", "nope", cwd=tmp_path)
    assert_one_line_error(missing, 2, "--questions 'nope'", "benches in results: mtb")


@needs_shared
def test_judge_preset_pairwise_sends_fastchat_exact_messages(tmp_path: Path, llm_server: LLMServer) -> None:
    """Both games of every comparison FastChat recorded for phi-3 vs phi-3-dpo, byte for byte."""
    llm_server.reply = lambda body: "Both are similar. [[C]]"
    _pulled(tmp_path)
    src = _fastchat_bench(tmp_path)
    assert judgebench("import", "fastchat", str(src), "--bench", "mtb", cwd=tmp_path).returncode == 0
    recorded = rows(src / "model_judgment" / "gpt-4_pair.jsonl")  # 75 turn-1 comparisons, model_1 = phi-3
    ids = ",".join(str(r["question_id"]) for r in recorded)
    args = ["-q", "mtb", "--preset", "mt-bench", "--base-url", llm_server.base_url, "--mode", "pairwise"]
    proc = judgebench(
        "judge", *args, "--baseline", "phi-3-dpo", "-m", "phi-3", "--question-ids", ids,
        cwd=tmp_path, env={"OPENAI_API_KEY": "sk-test"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    sent = Counter(json.dumps(r.json["messages"]) for r in llm_server.requests)
    assert sum(sent.values()) == 75 * 2 * 2  # 75 questions x 2 turns x 2 games
    system = {p.name: p.system_prompt for p in load_judge_prompts(PROMPTS).values()}
    for r in recorded:
        for game in ("g1", "g2"):
            message = [
                {"role": "system", "content": system[r["judge"][1]]},
                {"role": "user", "content": r[f"{game}_user_prompt"]},
            ]
            assert sent[json.dumps(message)] == 1, (r["question_id"], game)


def test_many_reference_less_turns_are_named_then_counted(tmp_path: Path) -> None:
    qfile = tmp_path / "m.jsonl"
    qfile.write_text(
        "".join(json.dumps({"question_id": i, "category": "math", "turns": [f"{i}+1?"]}) + "\n" for i in range(25))
    )
    assert judgebench("gen-answers", "-m", "fake/a", "-q", str(qfile), cwd=tmp_path).returncode == 0
    dry = judgebench("judge", "-j", "fake/judge", "-q", str(qfile), "--dry-run", cwd=tmp_path)
    said = dry.stdout + dry.stderr
    assert "references of m: none" in said
    assert "question 19 turn 1 (math); … 25 turns in all: judged without a" in said
    assert "question 20 turn 1" not in said
