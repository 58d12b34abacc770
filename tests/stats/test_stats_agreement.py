"""Agreement on a hand-built vote fixture (answers computed by hand), the vote loader, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import TEST_DATA
from clirun import assert_one_line_error, judgebench
from fastchat_figures import COMPUTE_AGREEMENT

from judgebench.errors import DataError
from judgebench.records import Judgment, PairGame
from judgebench.stats import Bootstrap, comparisons
from judgebench.stats.agreement import agreement, votes_from_comparisons, votes_from_grades
from judgebench.storage import load_votes

VOTES = TEST_DATA / "mt_bench_human_votes.json"

# The fixture, item by item (F: the alphabetically first model of the pair wins, S: the second, T: tie):
#   q81 t1 alpaca-13b/gpt-4        gpt4_pair S   expert_0 S   expert_1 S (written the other way round)
#   q82 t1 gpt-3.5-turbo/vicuna    gpt4_pair T   expert_0 F   expert_1 T ("tie (bothbad)")
#   q83 t1 claude-v1/llama-13b     gpt4_pair F   expert_0 S
#   q81 t2 alpaca-13b/gpt-4        gpt4_pair S   expert_0 S
#   q84 t2 gpt-4/vicuna            gpt4_pair F   expert_1 S   author_0 F
#   q85 t2 gpt-4/llama-13b         gpt4_pair F   (nobody else)
# gpt4_pair vs expert_*: vote pairs (S,S) (S,S) (T,F) (T,T) (F,S) | (S,S) (F,S)
#   turn 1: 3 of 5 agree; without ties 2 of 3.  turn 2: 1 of 2; without ties 1 of 2.
#   all: 4 of 7; without ties 3 of 5.
#   κ with ties, all: p_o = 4/7; gpt4 marginals F2 S3 T2, experts F1 S5 T1: p_e = (2+15+2)/49 = 19/49,
#   κ = (28/49 - 19/49) / (30/49) = 0.3.  Without ties: p_o = 3/5, p_e = (2·0 + 3·5)/25 = 0.6, κ = 0.
# expert_* among themselves: q81 t1 (S,S) agree, q82 t1 (F,T) disagree: 1 of 2; without ties 1 of 1.
#   κ (pairs counted both ways): cells SS×2, FT, TF: p_o = 2/4, marginals S2 F1 T1: p_e = 6/16, κ = 0.2.
#
# The agreement counts are also what FastChat's compute_agreement.py printed (fastchat_figures.py).


def rows_by_turn(result: object) -> dict[object, dict[str, object]]:
    return {row["turn"]: row for row in result.rows}  # type: ignore[attr-defined]


def test_agreement_llm_vs_humans_by_hand() -> None:
    votes = load_votes(VOTES)
    gpt4 = [v for v in votes if v.judge == "gpt4_pair"]
    experts = [v for v in votes if v.judge.startswith("expert_")]
    rows = rows_by_turn(agreement(gpt4, experts, bootstrap=Bootstrap(200)))
    for turn, printed in COMPUTE_AGREEMENT["gpt4-pair human"].items():
        assert (rows[turn]["n"], rows[turn]["agree"], rows[turn]["n_no_tie"], rows[turn]["agree_no_tie"]) == printed
    everything = rows["all"]
    assert everything["rate"] == pytest.approx(4 / 7) and everything["rate_no_tie"] == pytest.approx(3 / 5)
    assert everything["kappa"] == pytest.approx(0.3) and everything["kappa_no_tie"] == pytest.approx(0.0)
    assert everything["n_items"] == 5 and everything["n_questions"] == 4
    assert everything["rate_lo"] <= everything["rate"] <= everything["rate_hi"]


def test_agreement_among_humans_by_hand() -> None:
    experts = [v for v in load_votes(VOTES) if v.judge.startswith("expert_")]
    result = agreement(experts, bootstrap=Bootstrap(0))
    by_turn = rows_by_turn(result)
    row = by_turn["all"]
    assert result.same_group
    one = by_turn[1]
    assert (one["n"], one["agree"], one["n_no_tie"], one["agree_no_tie"]) == COMPUTE_AGREEMENT["human human"][1]
    assert (row["n"], row["agree"], row["rate"]) == (2, 1, 0.5)
    assert (row["n_no_tie"], row["agree_no_tie"], row["rate_no_tie"]) == (1, 1, 1.0)
    assert row["kappa"] == pytest.approx(0.2)
    assert row["kappa_no_tie"] is None  # one category only: κ is undefined


def test_one_voters_votes_are_never_paired_with_themselves() -> None:
    votes = load_votes(VOTES)
    expert_0 = [v for v in votes if v.judge == "expert_0"]
    with_self = agreement(expert_0, expert_0, bootstrap=Bootstrap(0))
    assert with_self.rows[-1]["n"] == 0


def game(q: int, g: int, winner: str, turn: int = 1) -> PairGame:
    return PairGame(question_id=q, model_1="x", model_2="y", turn=turn, judge="j", prompt="p", game=g, winner=winner)  # type: ignore[arg-type]


def test_our_inconsistent_games_count_as_ties_or_are_dropped() -> None:
    games = [game(1, 1, "model_1"), game(1, 2, "model_2"), game(2, 1, "model_2"), game(2, 2, "model_2")]
    comp = comparisons(games)
    assert [v.winner for v in votes_from_comparisons(comp, "j")] == ["tie", "model_b"]
    assert [v.winner for v in votes_from_comparisons(comp, "j", inconsistent="drop")] == ["model_b"]


def test_single_grades_become_votes_with_a_tie_threshold() -> None:
    grades = [
        Judgment(question_id=1, model=m, turn=1, judge="j", prompt="p", score=s)
        for m, s in [("x", 9.0), ("y", 8.0), ("z", 9.0)]
    ]
    votes = {(v.model_a, v.model_b): v.winner for v in votes_from_grades(grades, "j")}
    assert votes == {("x", "y"): "model_a", ("x", "z"): "tie", ("y", "z"): "model_b"}
    loose = {(v.model_a, v.model_b): v.winner for v in votes_from_grades(grades, "j", tie_threshold=1.0)}
    assert set(loose.values()) == {"tie"}


def test_votes_load_from_json_jsonl_and_csv_with_line_numbers(tmp_path: Path) -> None:
    votes = load_votes(VOTES)
    assert len(votes) == 14 and votes[2].model_a == "gpt-4" and votes[5].winner == "tie (bothbad)"
    jsonl = tmp_path / "v.jsonl"
    jsonl.write_text("\n".join(json.dumps(v.to_dict()) for v in votes) + "\n")
    assert load_votes(jsonl) == votes
    csv_file = tmp_path / "v.csv"
    csv_file.write_text(
        "question_id,model_a,model_b,winner,judge,turn\n81,alpaca-13b,gpt-4,model_b,author_0,1\n"
        "82,x,y,maybe,author_1,2\n"
    )
    with pytest.raises(DataError, match=r"v.csv:3: field 'winner' must be one of"):
        load_votes(csv_file)
    broken = tmp_path / "v.json"
    broken.write_text(VOTES.read_text().replace('"turn": 2', '"turn": 0', 1))
    with pytest.raises(DataError, match=r"v.json:10: field 'turn' must be 1 or more"):
        load_votes(broken)


def test_agreement_command(tmp_path: Path) -> None:
    proc = judgebench(
        "agreement", "--votes", str(VOTES), "-a", "gpt4_pair", "-b", "expert_*", "-f", "json", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["turns"][-1]["kappa"] == pytest.approx(0.3)
    assert data["bootstrap"]["replicates"] == 1000
    for fmt in ("table", "markdown", "csv"):
        shown = judgebench("agreement", "--votes", str(VOTES), "-a", "expert_*", "-f", fmt, cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert "expert_*" in shown.stdout
    assert_one_line_error(
        judgebench("agreement", "--votes", str(VOTES), "-a", "nobody", cwd=tmp_path), 2, "judge 'nobody'", "expert_0"
    )
