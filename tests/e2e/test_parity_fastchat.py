"""Parity with FastChat: the product's report against figures FastChat itself printed.

The tests run the product on real FastChat files: ``judgebench import fastchat`` then ``judgebench report -f
json``, ``judgebench judge --preset mt-bench`` against a loopback judge, and the public prompt selection;
nothing in this file computes a score, a win rate or a rendering. The expected figures come from FastChat,
never from a re-implementation:

* the tables FastChat's ``show_result.py`` printed, published by jxiw/MambaInLlama or got by running
  FastChat's unchanged script on the other files (``fastchat_figures.py`` gives each source);
* a few counts read straight from the raw file by matching one literal field (``"score": -1,``,
  ``"g1_winner": "error"``): FastChat's rules drop those rows, and the report must say how many.
* what FastChat recorded per judgment: the prompt name (``judge[1]``) and the user prompt it sent.

The published MT-Bench leaderboard (GPT-4 8.99, GPT-3.5-turbo 7.94, …) needs FastChat's
``model_judgment/gpt-4_single.jsonl`` for the 31 models, which ``../shared/mtbench`` does not hold;
``test_published_leaderboard`` runs only where that file is present.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import pytest
from builders import MTBENCH
from clirun import judgebench
from fastchat_figures import JXIW_PUBLISHED, PRINTED, PUBLISHED_LEADERBOARD, SHOW_RESULT_PAIR, SHOW_RESULT_SINGLE
from llm_server import LLMServer

from judgebench.judging import FASTCHAT_REFERENCE_CATEGORIES, prompt_format, select_prompt, to_pair_winner
from judgebench.records import Question
from judgebench.storage import load_judge_prompts, load_questions

THIRD_PARTY = MTBENCH / "third_party"
needs_shared = pytest.mark.skipif(not THIRD_PARTY.is_dir(), reason="needs ../shared/mtbench (real FastChat files)")


def lines_with(path: Path, literal: str) -> int:
    """How many lines of the raw file contain ``literal`` (a plain substring count, like ``grep -c``)."""
    return sum(literal in line for line in path.read_text(encoding="utf-8").splitlines())


def imported(tmp_path: Path, name: str) -> Path:
    """``judgebench import fastchat`` of one third-party folder as bench ``b``, with MT-Bench's reference
    answers, and MT-Bench's questions where the folder has none of its own; returns the working folder."""
    src = tmp_path / "src"
    shutil.copytree(THIRD_PARTY / name, src)
    if not (src / "question.jsonl").is_file():
        shutil.copy(MTBENCH / "question.jsonl", src / "question.jsonl")
    shutil.copytree(MTBENCH / "reference_answer", src / "reference_answer")
    proc = judgebench("import", "fastchat", str(src), "--bench", "b", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path


def report(cwd: Path, *extra: str) -> dict[str, Any]:
    """``judgebench report -q b -f json --bootstrap 0 EXTRA``, parsed; exactly one judge (FastChat's gpt-4)."""
    proc = judgebench("report", "-q", "b", "-f", "json", "--bootstrap", "0", *extra, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    assert len(data["judges"]) == 1, [j["judge"] for j in data["judges"]]
    judge: dict[str, Any] = data["judges"][0]
    return judge


@needs_shared
def test_jxiw_scores_equal_the_published_show_result(tmp_path: Path) -> None:
    """The six mamba models: first turn, second turn and average exactly as the authors published them.

    The published figures are exact (each a multiple of 1/160 printed in full), so the comparison is to
    floating-point rounding; the report lists the models in the published order.
    """
    cwd = imported(tmp_path, "jxiw_FastChat")
    single = report(cwd)["single"]
    assert [row["model"] for row in single] == list(JXIW_PUBLISHED)
    for row in single:
        assert (row["turn1"], row["turn2"], row["overall"]) == pytest.approx(JXIW_PUBLISHED[row["model"]], abs=1e-12)
        assert (row["n"], row["n_unparsed"], row["n_failed"]) == (160, 0, 0), row["model"]


@needs_shared
@pytest.mark.parametrize("name", sorted(SHOW_RESULT_SINGLE))
def test_single_scores_equal_fastchat_show_result(name: str, tmp_path: Path) -> None:
    """Single grades as FastChat printed them; rows FastChat drops (score -1) are counted, not averaged.

    instructlab's file has 120 of its 160 lines with ``"score": -1,``: 10 calls that failed (FastChat wrote
    ``"judgment": "$ERROR$"``) and 110 replies without a readable rating. FastChat's 7.4 averages the other 40;
    the report counts the 120 as failed and unparsed, not as grades.
    """
    path = THIRD_PARTY / name / "model_judgment" / "gpt-4_single.jsonl"
    dropped = lines_with(path, '"score": -1,')
    failed = lines_with(path, '"judgment": "$ERROR$"')
    assert (dropped, failed) == {"Stefanstud_FastChat": (0, 0), "instructlab_eval": (120, 10)}[name]
    single = report(imported(tmp_path, name))["single"]
    assert [row["model"] for row in single] == list(SHOW_RESULT_SINGLE[name])
    for row in single:
        printed = SHOW_RESULT_SINGLE[name][row["model"]]
        assert (row["turn1"], row["turn2"], row["overall"]) == pytest.approx(printed, abs=PRINTED)
        assert row["n"] == 160 - dropped
        assert (row["n_unparsed"], row["n_failed"]) == (dropped - failed, failed)


@needs_shared
@pytest.mark.parametrize(("name", "baseline"), sorted(SHOW_RESULT_PAIR, key=str), ids=str)
def test_pairwise_equals_fastchat_show_result(name: str, baseline: str | None, tmp_path: Path) -> None:
    """Win/loss/tie counts and rates as FastChat printed them, all pairs and against each baseline.

    Stefanstud's file has 2 lines whose first or second game is ``"error"``; FastChat leaves those
    comparisons out, and the report says so.
    """
    path = THIRD_PARTY / name / "model_judgment" / "gpt-4_pair.jsonl"
    errors = lines_with(path, '"g1_winner": "error"') + lines_with(path, '"g2_winner": "error"')
    both = lines_with(path, '"g1_winner": "error", "g2_winner": "error"')
    rows = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    pairwise = report(imported(tmp_path, name), *(["--baseline", baseline] if baseline else []))["pairwise"]
    printed = SHOW_RESULT_PAIR[(name, baseline)]
    assert pairwise["baseline"] == baseline
    assert [row["model"] for row in pairwise["models"]] == list(printed)
    for row in pairwise["models"]:
        win, loss, tie, *rates = printed[row["model"]]
        assert (row["win"], row["loss"], row["tie"], row["n"]) == (win, loss, tie, win + loss + tie)
        assert (row["win_rate"], row["loss_rate"], row["win_rate_adjusted"]) == pytest.approx(rates, abs=PRINTED)
    assert pairwise["excluded"] == errors - both == {"Stefanstud_FastChat": 2}.get(name, 0)
    assert pairwise["comparisons"] == rows  # one model pair per file: every row counts against each baseline


@pytest.mark.skipif(
    not (MTBENCH / "model_judgment" / "gpt-4_single.jsonl").is_file(),
    reason="needs FastChat's own model_judgment/gpt-4_single.jsonl for the 31 MT-Bench models in ../shared/mtbench",
)
def test_published_leaderboard(tmp_path: Path) -> None:
    """FastChat's GPT-4 grades of the 31 models give the published MT-Bench scores, to the two decimals printed."""
    proc = judgebench("import", "fastchat", str(MTBENCH), "--bench", "b", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    single = {row["model"]: row["overall"] for row in report(tmp_path)["single"]}
    assert {m: round(single[m], 2) for m in PUBLISHED_LEADERBOARD} == PUBLISHED_LEADERBOARD


def recorded(path: Path) -> list[dict[str, Any]]:
    """The rows of a FastChat judgment file as FastChat wrote them."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def question_set(name: str, tmp_path: Path) -> dict[int | str, Question]:
    """The questions FastChat judged a third-party bench on, with ``reference_answer/gpt-4.jsonl`` beside them
    (the Korean set: its own translated questions; the others: MT-Bench's)."""
    own = THIRD_PARTY / name / "question.jsonl"
    folder = tmp_path / "questions"
    folder.mkdir()
    shutil.copy(own if own.is_file() else MTBENCH / "question.jsonl", folder / "question.jsonl")
    shutil.copytree(MTBENCH / "reference_answer", folder / "reference_answer")
    return {q.question_id: q for q in load_questions(folder / "question.jsonl").questions}


@needs_shared
@pytest.mark.parametrize(
    "path", sorted(THIRD_PARTY.glob("*/model_judgment/*.jsonl")) if THIRD_PARTY.is_dir() else [], ids=str
)
def test_prompt_choice_equals_what_fastchat_recorded(path: Path, tmp_path: Path) -> None:
    """For every judgment FastChat stored, the product picks the prompt FastChat names in ``judge[1]``.

    This covers both turns of the pairwise prompts (the Korean file) and the Korean set's misspelt
    category ``wrting`` (question 82), which FastChat judged with the general prompt.
    """
    name = path.parts[-3]
    questions = question_set(name, tmp_path)
    prompts = load_judge_prompts(MTBENCH / "judge_prompts.jsonl")
    kind: Literal["single", "pairwise"] = "single" if path.name.endswith("_single.jsonl") else "pairwise"
    chosen: Counter[str] = Counter()
    for row in recorded(path):
        q = questions[row["question_id"]]
        picked = select_prompt(prompts, kind, q, row["turn"], FASTCHAT_REFERENCE_CATEGORIES).name
        assert picked == row["judge"][1], (row["question_id"], row["turn"], q.category)
        chosen[picked] += 1
    assert sum(chosen.values()) == lines_with(path, '"judge": ["gpt-4", ')


@needs_shared
def test_korean_set_is_judged_with_the_english_gpt4_references_fastchat_used(tmp_path: Path) -> None:
    """The Korean questions carry translated inline notes, but FastChat judged them with the English
    ``reference_answer/gpt-4.jsonl``: every recorded math/reasoning/coding prompt shows the reference and the
    Korean question text the product loads, byte for byte."""
    name = "SFMI-Byeongsu_mtbench-question-korean"
    questions = question_set(name, tmp_path)
    checked = 0
    for row in recorded(THIRD_PARTY / name / "model_judgment" / "gpt-4_pair.jsonl"):
        q = questions[row["question_id"]]
        prompt = row["g1_user_prompt"]
        assert all(text in prompt for text in q.turns[: row["turn"]]), row["question_id"]
        if "math" not in row["judge"][1]:
            continue
        assert q.reference is not None
        if row["turn"] == 1:
            assert f"[The Start of Reference Answer]\n{q.reference[0]}\n[The End of Reference Answer]" in prompt
        else:
            assert f"### Reference answer:\n{q.reference[0]}\n\n" in prompt
            assert f"### Reference answer:\n{q.reference[1]}\n\n" in prompt
        checked += 1
    assert checked == 60  # 30 questions x 2 turns


@needs_shared
def test_korean_set_judged_with_the_preset_sends_what_fastchat_sent(tmp_path: Path, llm_server: LLMServer) -> None:
    """Pairwise judging of the imported Korean set with ``--preset mt-bench`` over a loopback judge.

    FastChat's Korean judgment file is the reference: per recorded comparison, both games go out with the
    system prompt of the prompt FastChat named, and every part of the user message that does not depend on
    the answers (question, English reference, up to the first answer) is byte for byte what FastChat sent.
    """
    llm_server.reply = lambda body: "Both are alike. [[C]]"
    name = "SFMI-Byeongsu_mtbench-question-korean"
    pulled = tmp_path / "data" / "datasets" / "mt-bench"  # what `datasets pull mt-bench` leaves
    pulled.mkdir(parents=True)
    shutil.copy(MTBENCH / "judge_prompts.jsonl", pulled / "judge_prompts.jsonl")
    imported(tmp_path, name)
    for model in ("fake/a", "fake/b"):
        assert judgebench("gen-answers", "-m", model, "-q", "b", cwd=tmp_path).returncode == 0
    proc = judgebench(
        "judge", "-q", "b", "--preset", "mt-bench", "--base-url", llm_server.base_url, "--mode", "pairwise",
        "--baseline", "fake/b", cwd=tmp_path, env={"OPENAI_API_KEY": "sk-test"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "references of b: reference_answer/gpt-4.jsonl (30 questions)" in proc.stdout + proc.stderr
    sent = [(r.json["messages"][0]["content"], r.json["messages"][1]["content"]) for r in llm_server.requests]
    rows = recorded(THIRD_PARTY / name / "model_judgment" / "gpt-4_pair.jsonl")
    assert len(sent) == 2 * len(rows) == 320  # both games of all 160 comparisons FastChat made
    system = {p.name: p.system_prompt for p in load_judge_prompts(MTBENCH / "judge_prompts.jsonl").values()}
    assert Counter(s for s, _ in sent) == Counter(system[r["judge"][1]] for r in rows for _ in (1, 2))
    for row in rows:
        theirs = row["g1_user_prompt"]
        head = theirs[: theirs.index("Assistant A")]  # question and reference, as FastChat rendered them
        if row["turn"] == 2 and "math" not in row["judge"][1]:
            continue  # the multi-turn general prompt opens with the answers: nothing to compare before them
        matches = [u for s, u in sent if s == system[row["judge"][1]] and u.startswith(head)]
        assert len(matches) == 2, (row["question_id"], row["turn"])
    ours = report(tmp_path, "-j", "openai/gpt-4", "--baseline", "fake/b")["pairwise"]
    assert [(r["model"], r["tie"], r["n"]) for r in ours["models"]] == [("fake/a", 160, 160)]


@needs_shared
def test_identical_answers_in_jxiw_are_judged_once_as_fastchat_rendered_them(tmp_path: Path) -> None:
    """Some mamba models gave identical answers: FastChat rendered identical prompts for them (and graded
    them alike). A dry run of the same judging buys one call per distinct prompt FastChat rendered."""
    path = THIRD_PARTY / "jxiw_FastChat" / "model_judgment" / "gpt-4_single.jsonl"
    prompts = [row["user_prompt"] for row in recorded(path)]
    repeats = len(prompts) - len(set(prompts))
    assert (len(prompts), repeats) == (960, 7)
    pulled = tmp_path / "data" / "datasets" / "mt-bench"
    pulled.mkdir(parents=True)
    shutil.copy(MTBENCH / "judge_prompts.jsonl", pulled / "judge_prompts.jsonl")
    imported(tmp_path, "jxiw_FastChat")
    dry = judgebench("judge", "-q", "b", "--preset", "mt-bench", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    said = " ".join(dry.stdout.split())
    assert f"would make {len(set(prompts))} judge calls" in said
    assert f"for 960 judgments; {repeats} reuse the verdict of a call with the same prompt; 0 already judged" in said


# Replies where the product reads a different verdict than FastChat did, on purpose (question, turn):
# FastChat takes the first [[N]] (else the first [N] anywhere, code included) and accepts 0; the product takes
# the final verdict, reads a few keyword/fraction forms near the end, and keeps to the 1–10 scale.
KNOWN_DIVERGENCES = {
    "instructlab_eval": {
        (96, 1): "FastChat 9 (first [[9]]), ours 10 (the last, '… earning a rating of [[10]]')",
        (159, 1): "FastChat 9 (first [[9]]), ours 10 (the last, '… earning a rating of [[10]]')",
        (103, 1): "FastChat 8 (first [[8]]), ours none: the reply ends '[[9]] or [[10]]'",
        (124, 1): "FastChat 5 from a [5] early in the reply, ours none: no verdict near the end",
        (127, 1): "FastChat 0 from the code `[0]` it quotes, ours none",
        (127, 2): "FastChat 0 from the code `[0]` it quotes, ours none",
        (84, 2): "FastChat -1, ours 9 from a closing 'Confidence: 9/10'",
        (87, 2): "FastChat -1, ours 5 from 'The user's rating of 5' at the end",
        (112, 1): "FastChat -1, ours 10 from a closing '… is 10/10.'",
        (117, 2): "FastChat -1, ours 10 from '… ratings … are 10 out of 10.'",
        (138, 1): "FastChat -1, ours 7.8 from 'the Google Pixel has a rating of 7.8' (a review's rating, misread)",
    },
}


# Replies read per file: every stored reply but the $ERROR$ ones (failed calls; instructlab 10, Stefanstud pair 3).
REPLIES = {
    "instructlab_eval/gpt-4_single.jsonl": 150,
    "jxiw_FastChat/gpt-4_single.jsonl": 960,
    "Stefanstud_FastChat/gpt-4_single.jsonl": 160,
    "Stefanstud_FastChat/gpt-4_pair.jsonl": 147,
    "SFMI-Byeongsu_mtbench-question-korean/gpt-4_pair.jsonl": 320,
}


@needs_shared
@pytest.mark.parametrize(
    "path", sorted(THIRD_PARTY.glob("*/model_judgment/*.jsonl")) if THIRD_PARTY.is_dir() else [], ids=str
)
def test_verdicts_read_as_fastchat_read_them(path: Path) -> None:
    """Every judge reply FastChat stored, read with the verdict format of the prompt FastChat used: the grade or
    winner FastChat recorded (``-1`` and ``"error"``: none), except the replies listed in ``KNOWN_DIVERGENCES``."""
    prompts = load_judge_prompts(MTBENCH / "judge_prompts.jsonl")
    differ: set[tuple[int, int]] = set()
    n = 0
    for row in recorded(path):
        read = prompt_format(prompts[row["judge"][1]]).read
        replies: list[tuple[int, str, object]]
        if "score" in row:
            replies = [(0, row["judgment"], None if row["score"] == -1 else float(row["score"]))]
        else:
            replies = [(1, row["g1_judgment"], row["g1_winner"]), (2, row["g2_judgment"], row["g2_winner"])]
        for game, text, theirs in replies:
            if text == "$ERROR$":  # the call failed: no reply to read
                continue
            n += 1
            value: object = read(text).value
            if game and isinstance(value, str):
                value = to_pair_winner(value, 1 if game == 1 else 2)  # type: ignore[arg-type]
            if value != (None if theirs == "error" else theirs):
                differ.add((row["question_id"], row["turn"]))
    assert differ == set(KNOWN_DIVERGENCES.get(path.parts[-3], {}))
    assert n == REPLIES[f"{path.parts[-3]}/{path.name}"]
