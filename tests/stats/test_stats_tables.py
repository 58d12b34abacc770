"""Score tables: equal to FastChat's show_result.py on real files, and known answers by hand."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from builders import MTBENCH

from judgebench.records import Judgment, PairGame
from judgebench.stats import pairwise_table, single_table, to_records
from judgebench.storage import judgments_path, load_judgments, load_pair_games
from judgebench.storage.fastchat import import_fastchat

THIRD_PARTY = MTBENCH / "third_party"
FILES = sorted(THIRD_PARTY.glob("*/model_judgment/*.jsonl")) if THIRD_PARTY.is_dir() else []
needs_shared = pytest.mark.skipif(not FILES, reason="needs ../shared/mtbench (real FastChat files)")
TOL = 1e-12


def fastchat_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- FastChat's show_result.py semantics, written out plainly (independent of judgebench.stats) ---


def expected_single(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"turn1": [], "turn2": [], "average": []})
    for row in rows:
        if row["score"] == -1:
            continue
        model = scores[row["model"]]
        if row["turn"] == 1:
            model["turn1"].append(row["score"])
        if row["turn"] == 2:
            model["turn2"].append(row["score"])
        model["average"].append(row["score"])
    return {m: {k: sum(v) / len(v) if v else math.nan for k, v in cols.items()} for m, cols in scores.items()}


def expected_pairwise(rows: list[dict[str, Any]], baseline: str | None) -> dict[str, dict[str, float]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"win": 0, "loss": 0, "tie": 0})
    for row in rows:
        if row["g1_winner"] == "error" or row["g2_winner"] == "error":
            continue
        if baseline is not None and baseline not in (row["model_1"], row["model_2"]):
            continue
        if row["g1_winner"] == "tie" or row["g1_winner"] != row["g2_winner"]:
            counts[row["model_1"]]["tie"] += 1
            counts[row["model_2"]]["tie"] += 1
        else:
            winner = row["model_1"] if row["g1_winner"] == "model_1" else row["model_2"]
            loser = row["model_2"] if winner == row["model_1"] else row["model_1"]
            counts[winner]["win"] += 1
            counts[loser]["loss"] += 1
    out = {}
    for model, c in counts.items():
        if model == baseline:
            continue
        n = c["win"] + c["loss"] + c["tie"]
        out[model] = {
            **c,
            "win_rate": c["win"] / n,
            "loss_rate": c["loss"] / n,
            "win_rate_adjusted": (c["win"] + 0.5 * c["tie"]) / n,
        }
    return out


def close(a: float | None, b: float) -> bool:
    if a is None:
        return math.isnan(b)
    return abs(a - b) <= TOL


@needs_shared
@pytest.mark.parametrize("path", [p for p in FILES if p.name.endswith("_single.jsonl")], ids=lambda p: p.parts[-3])
def test_single_equals_fastchat(path: Path) -> None:
    rows = fastchat_rows(path)
    expected = expected_single(rows)
    table = {r["model"]: r for r in to_records(single_table(load_judgments(path)))}
    assert {m for m, r in table.items() if r["n"]} == set(expected)
    for model, want in expected.items():
        got = table[model]
        assert close(got["turn1"], want["turn1"]) and close(got["turn2"], want["turn2"]), model
        assert close(got["overall"], want["average"]), model
        assert got["n_unparsed"] + got["n_failed"] == sum(r["score"] == -1 and r["model"] == model for r in rows)


@needs_shared
@pytest.mark.parametrize("path", [p for p in FILES if p.name.endswith("_pair.jsonl")], ids=lambda p: p.parts[-3])
def test_pairwise_equals_fastchat(path: Path, tmp_path: Path) -> None:
    rows = fastchat_rows(path)
    import_fastchat(path.parent.parent, tmp_path, "b")
    games = load_pair_games(judgments_path(tmp_path, "b", path.name.removesuffix("_pair.jsonl"), "pair"))
    models = sorted({r["model_1"] for r in rows} | {r["model_2"] for r in rows})
    for baseline in [None, *models]:
        expected = expected_pairwise(rows, baseline)
        table = pairwise_table(games, baseline)
        got = {r["model"]: r for r in to_records(table) if r["n"]}
        assert set(got) == set(expected), baseline
        for model, want in expected.items():
            for key in ("win", "loss", "tie"):
                assert got[model][key] == want[key], (baseline, model, key)
            for key in ("win_rate", "loss_rate", "win_rate_adjusted"):
                assert close(got[model][key], want[key]), (baseline, model, key)
        errors = sum("error" in (r["g1_winner"], r["g2_winner"]) for r in rows)
        assert table.n_excluded == errors


@needs_shared
def test_real_pairwise_numbers() -> None:
    """Stefanstud's phi-3 vs phi-3-dpo, counted by hand from the file's outcome counts."""
    path = THIRD_PARTY / "Stefanstud_FastChat" / "model_judgment" / "gpt-4_pair.jsonl"
    if not path.is_file():
        pytest.skip("file absent")
    # outcomes (g1, g2): (m2,m2) 20, (m1,m1) 18, (m1,m2) 16, (tie,tie) 8, (m1,tie) 5, (tie,m2) 3,
    # (m2,m1) 2, (m2,tie) 1, and 2 rows with an "error" game: 73 counted, 35 ties
    want = expected_pairwise(fastchat_rows(path), None)
    assert want["phi-3"] == pytest.approx(
        {"win": 18, "loss": 20, "tie": 35, "win_rate": 18 / 73, "loss_rate": 20 / 73, "win_rate_adjusted": 35.5 / 73}
    )


# --- hand-built fixtures ---

PAIR = {"question_id": 1, "model_1": "a", "model_2": "b", "turn": 1, "judge": "j", "prompt": "pair-v2"}


def games(winner_1: str | None, winner_2: str | None, **over: Any) -> list[PairGame]:
    out = []
    for n, winner in ((1, winner_1), (2, winner_2)):
        if winner == "missing":
            continue
        status = "ok" if winner is not None else "unparsed"
        out.append(PairGame(**(PAIR | over), game=n, winner=winner, status=status))  # type: ignore[arg-type]
    return out


def test_tie_in_one_game_win_in_other_is_a_tie_and_inconsistent() -> None:
    table = pairwise_table(games("model_1", "tie") + games("model_2", "model_2", question_id=2))
    rows = {r["model"]: r for r in to_records(table)}
    assert (rows["a"]["win"], rows["a"]["loss"], rows["a"]["tie"]) == (0, 1, 1)
    assert (rows["b"]["win"], rows["b"]["loss"], rows["b"]["tie"]) == (1, 0, 1)
    assert rows["b"]["win_rate_adjusted"] == 0.75
    assert [r["model"] for r in to_records(table)] == ["b", "a"]
    assert to_records(table.consistency) == [{"judge": "j", "consistent": 1, "n": 2, "rate": 0.5}]


def test_disagreeing_games_and_double_ties() -> None:
    table = pairwise_table(games("model_1", "model_2") + games("tie", "tie", question_id=2))
    rows = {r["model"]: r for r in to_records(table)}
    assert (rows["a"]["win"], rows["a"]["loss"], rows["a"]["tie"], rows["a"]["n"]) == (0, 0, 2, 2)
    assert to_records(table.consistency)[0]["consistent"] == 1  # tie/tie agrees, model_1/model_2 does not


def test_unscored_or_missing_games_are_excluded_and_counted() -> None:
    all_games = games("model_1", "model_1") + games("model_1", None, question_id=2)
    all_games += games("model_2", "missing", question_id=3) + games(None, None, question_id=4)
    table = pairwise_table(all_games)
    assert table.n_comparisons == 4 and table.n_excluded == 3
    rows = {r["model"]: r for r in to_records(table)}
    assert (rows["a"]["win"], rows["a"]["n"], rows["a"]["n_excluded"]) == (1, 1, 3)
    assert to_records(table.consistency)[0]["n"] == 1


def test_baseline_counts_only_its_comparisons_and_drops_its_line() -> None:
    all_games = games("model_1", "model_1")  # a beats b
    all_games += games("model_2", "model_2", model_1="b", model_2="c")  # c beats b
    all_games += games("model_1", "model_1", model_1="a", model_2="c")  # a beats c: no baseline b
    table = pairwise_table(all_games, baseline="b")
    assert table.baseline == "b"
    assert [(r["model"], r["win"], r["loss"], r["n"]) for r in to_records(table)] == [("a", 1, 0, 1), ("c", 1, 0, 1)]
    everyone = {r["model"]: r for r in to_records(pairwise_table(all_games))}
    assert (everyone["c"]["win"], everyone["c"]["loss"]) == (1, 1)
    assert everyone["b"]["win_rate"] == 0.0


def test_a_model_with_only_excluded_comparisons_is_listed_last_with_no_rates() -> None:
    table = pairwise_table(games("model_1", "model_1") + games(None, "tie", model_2="z"))
    records = to_records(table)
    assert records[-1] == {
        "model": "z",
        "win": 0,
        "loss": 0,
        "tie": 0,
        "n": 0,
        "win_rate": None,
        "loss_rate": None,
        "win_rate_adjusted": None,
        "n_excluded": 1,
    }
    json.dumps(records)


def grade(question_id: int, turn: int, score: float | None, model: str = "m", **over: Any) -> Judgment:
    status = over.pop("status", "ok" if score is not None else "unparsed")
    return Judgment(
        question_id=question_id,
        model=model,
        turn=turn,
        judge="gpt-4",
        prompt="single-v1",
        score=score,
        status=status,
        **over,
    )


def test_single_overall_pools_both_turns() -> None:
    judgments = [grade(q, 1, 10.0) for q in (1, 2, 3)] + [grade(1, 2, 1.0), grade(2, 2, None), grade(3, 2, None)]
    judgments.append(grade(4, 1, None, status="failed", error="timeout"))
    [row] = to_records(single_table(judgments))
    assert row["turn1"] == 10.0 and row["turn2"] == 1.0
    assert row["overall"] == 31 / 4  # not (10 + 1) / 2
    assert row["total"] == 31.0
    assert (row["n"], row["n_unparsed"], row["n_failed"]) == (4, 2, 1)


def test_single_sorting_and_models_without_grades() -> None:
    judgments = [
        grade(1, 1, 5.0, "low"),
        grade(1, 1, 9.0, "high"),
        grade(1, 1, None, "none"),
        grade(1, 1, 9.0, "alpha"),
    ]
    table = single_table(judgments)
    assert list(table.scores.index) == ["alpha", "high", "low", "none"]
    last = to_records(table)[-1]
    assert (last["turn1"], last["turn2"], last["overall"], last["total"], last["n_unparsed"]) == (
        None,
        None,
        None,
        0.0,
        1,
    )
    assert table.judges == ("gpt-4",)


def test_single_retry_supersedes_failure() -> None:
    judgments = [grade(1, 1, None, status="failed", error="timeout"), grade(1, 1, 6.0)]
    [row] = to_records(single_table(judgments))
    assert (row["n"], row["n_failed"], row["overall"]) == (1, 0, 6.0)


def test_single_category_means() -> None:
    judgments = [
        grade(1, 1, 8.0),
        grade(1, 2, 6.0),  # question 1: writing (mapping)
        grade(2, 1, 3.0, category="coding"),  # question 2: math (mapping wins over the record)
        grade(3, 1, 5.0, category="coding"),  # not in the mapping: the record's own category
        grade(4, 1, 1.0),  # no category anywhere: only in the overall numbers
        grade(1, 1, 2.0, "other"),
    ]
    table = single_table(judgments, {"1": "writing", "2": "math"})
    assert list(table.category_means.columns) == ["coding", "math", "writing"]
    assert table.category_means.loc["m"].tolist() == [5.0, 3.0, 7.0]
    assert table.category_counts.loc["m"].tolist() == [1, 1, 2]
    records = {r["model"]: r for r in to_records(table)}
    assert records["other"]["category:writing"] == 2.0 and records["other"]["category:math"] is None
    assert records["m"]["overall"] == pytest.approx(23 / 5)
    assert single_table(judgments).category_means.loc["m"].tolist() == [4.0]  # only the records' own


def test_empty_inputs() -> None:
    assert to_records(single_table([])) == []
    table = pairwise_table([], baseline="x")
    assert to_records(table) == [] and to_records(table.consistency) == []
    assert (table.n_comparisons, table.n_excluded) == (0, 0)
