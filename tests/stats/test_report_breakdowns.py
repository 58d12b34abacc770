"""Breakdowns people ask for: pairwise win rates per turn and per category."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import MTBENCH
from clirun import judgebench

from judgebench.records import PairGame
from judgebench.stats import Bootstrap, comparisons, pairwise_table, to_records
from judgebench.stats.breakdown import pairwise_breakdown
from judgebench.storage import load_pair_games

STEFANSTUD_PAIR = (MTBENCH / "third_party" / "Stefanstud_FastChat") / "model_judgment" / "gpt-4_pair.jsonl"

# jb-80: question 1 is writing, question 11 roleplay. (question, turn, game 1 winner, game 2 winner)
GAMES = [
    (1, 1, "model_1", "model_1"),
    (1, 2, "model_1", "model_2"),
    (11, 1, "model_2", "model_2"),
    (11, 2, "tie", "tie"),
]


def pair_games(judge: str = "judge-x") -> list[PairGame]:
    return [
        PairGame(question_id=q, model_1="x", model_2="y", turn=t, judge=judge, prompt="pair-v2", game=k, winner=w)  # type: ignore[arg-type]
        for q, t, *winners in GAMES
        for k, w in enumerate(winners, start=1)
    ]


def test_breakdown_per_turn_and_category() -> None:
    table = pairwise_breakdown(
        comparisons(pair_games(), "y"), {"1": "writing", "11": "roleplay"}, baseline="y", bootstrap=Bootstrap(0)
    )
    (row,) = to_records(table)
    assert row["model"] == "x" and row["n"] == 4
    # turn 1: a win and a loss; turn 2: an inconsistent pair (a tie) and a tie.
    assert (row["turn1"], row["turn2"]) == (0.5, 0.5)
    assert (row["category:writing"], row["category:roleplay"]) == (0.75, 0.25)
    assert row["turn1_lo"] is None


@pytest.mark.skipif(not STEFANSTUD_PAIR.is_file(), reason="../shared/mtbench is not beside the repo")
def test_columns_equal_the_table_of_that_turn_or_category_alone(tmp_path: Path) -> None:
    """Real GPT-4 pair judgments (turn 1 only): each column is FastChat's adjusted win rate of its slice."""
    assert (
        judgebench("import", "fastchat", str(STEFANSTUD_PAIR.parents[1]), "--bench", "b", cwd=tmp_path).returncode == 0
    )
    games = load_pair_games(tmp_path / "results" / "b" / "judgments" / "gpt-4_pair.jsonl")
    lines = (STEFANSTUD_PAIR.parents[3] / "question.jsonl").read_text().splitlines()
    categories = {str(q["question_id"]): q["category"] for q in map(json.loads, lines)}
    comp = comparisons(games, "phi-3")
    (row,) = to_records(pairwise_breakdown(comp, categories, baseline="phi-3", bootstrap=Bootstrap(200)))
    slices = {"turn1": games} | {
        f"category:{c}": [g for g in games if categories[str(g.question_id)] == c] for c in set(categories.values())
    }
    assert sorted(k for k in row if not k.endswith(("_lo", "_hi")) and k not in ("model", "n")) == sorted(slices)
    for column, part in slices.items():
        (alone,) = to_records(pairwise_table(part, "phi-3"))
        assert row[column] == pytest.approx(alone["win_rate_adjusted"]), column
        assert row[f"{column}_lo"] <= row[column] <= row[f"{column}_hi"]
    assert row["n"] == to_records(pairwise_table(games, "phi-3"))[0]["n"] == 73


def test_report_shows_the_pairwise_breakdown(tmp_path: Path) -> None:
    folder = tmp_path / "results" / "jb-80" / "judgments"
    folder.mkdir(parents=True)
    (folder / "judge-x_pair.jsonl").write_text("".join(json.dumps(g.to_dict()) + "\n" for g in pair_games()))
    proc = judgebench("report", "--baseline", "y", "--bootstrap", "50", "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (judge,) = json.loads(proc.stdout)["judges"]
    (row,) = judge["pairwise"]["breakdown"]
    assert (row["model"], row["n"], row["turn1"], row["turn2"]) == ("x", 4, 0.5, 0.5)
    assert (row["category:writing"], row["category:roleplay"]) == (0.75, 0.25)
    assert row["category:writing_lo"] <= 0.75 <= row["category:writing_hi"]
    table = judgebench("report", "--baseline", "y", "--bootstrap", "50", cwd=tmp_path).stdout
    assert "pairwise win rate per turn, against y" in table and "per category, against y" in table
    assert "│ x     │ 0.50 [0.00, 1.00] │ 0.50 [0.50, 0.50] │" in table  # turn 1, turn 2
    csv_rows = judgebench("report", "--baseline", "y", "-f", "csv", cwd=tmp_path).stdout.splitlines()
    assert sum(r.startswith("judge-x,pairwise_breakdown,y,x,") for r in csv_rows) == 1
