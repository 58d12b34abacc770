"""Score tables: known answers by hand.

Parity with FastChat's ``show_result.py`` on real files is tested through the product in
``e2e/test_parity_fastchat.py`` against the figures FastChat itself printed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from judgebench.records import Judgment, PairGame
from judgebench.stats import pairwise_table, single_table, to_records

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
