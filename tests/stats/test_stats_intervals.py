"""Question-clustered bootstrap, bias diagnostics, and the report's new sections through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from builders import TEST_DATA, fastchat_copy
from clirun import assert_one_line_error, judgebench
from fastchat_figures import PRINTED, SHOW_RESULT_PAIR, SHOW_RESULT_SINGLE

from judgebench.records import Judgment, PairGame
from judgebench.stats import Bootstrap, comparisons, pairwise_intervals, question_weights, single_intervals
from judgebench.stats.bias import position_bias, score_histogram, self_preference

VOTES = TEST_DATA / "mt_bench_human_votes.json"


def grade(q: int, turn: int, score: float, model: str = "m") -> Judgment:
    return Judgment(question_id=q, model=model, turn=turn, judge="gpt-4", prompt="p", score=score)


def test_weights_resample_whole_questions_reproducibly() -> None:
    w = question_weights(80, 1000, seed=3)
    assert w.shape == (1000, 80) and (w.sum(axis=1) == 80).all()
    assert np.array_equal(w, question_weights(80, 1000, seed=3))
    assert abs(w.mean() - 1.0) < 1e-12 and 0.9 < w.var() < 1.1  # multinomial(80, 1/80): variance ≈ 1


def test_turns_of_a_question_move_together() -> None:
    """Turn 2 copies turn 1: clustered by question, the pooled interval is as wide as one turn's."""
    rng = np.random.default_rng(0)
    scores = rng.integers(1, 11, size=40).astype(float)
    both = [grade(q, t, s) for q, s in enumerate(scores) for t in (1, 2)]
    iv = single_intervals(both, bootstrap=Bootstrap(500, seed=1))
    row = iv.loc["m"]
    assert row["overall_lo"] == pytest.approx(row["turn1_lo"]) and row["overall_hi"] == pytest.approx(row["turn1_hi"])
    # A row-level bootstrap would treat the 80 rows as independent and be about 1/sqrt(2) as wide.


def test_intervals_bracket_the_fastchat_numbers() -> None:
    judgments = [grade(q, t, float((q * 7 + t) % 10 + 1), m) for q in range(30) for t in (1, 2) for m in ("a", "b")]
    judgments += [grade(q, 1, 5.0, "c") for q in range(30)]
    iv = single_intervals(judgments, {str(q): "math" if q % 2 else "writing" for q in range(30)}, Bootstrap(300))
    assert set(iv.columns) >= {"turn1_lo", "turn2_hi", "overall_lo", "category:math_lo", "category:writing_hi"}
    assert iv.loc["c", "overall_lo"] == iv.loc["c", "overall_hi"] == 5.0
    assert np.isnan(iv.loc["c", "turn2_lo"])  # no turn-2 grades: no interval
    assert single_intervals(judgments, bootstrap=Bootstrap(0)).empty


def game(q: int, g: int, winner: str | None, m1: str = "x", m2: str = "y", judge: str = "gpt-4") -> PairGame:
    status = "ok" if winner else "failed"
    return PairGame(
        question_id=q, model_1=m1, model_2=m2, turn=1, judge=judge, prompt="p", game=g, winner=winner, status=status,  # type: ignore[arg-type]
    )  # fmt: skip


def test_position_bias_counts_the_slot_not_the_model() -> None:
    # Game 1 shows x first, game 2 shows y first; this judge always picks whoever is shown first.
    games = [g for q in range(10) for g in (game(q, 1, "model_1"), game(q, 2, "model_2"))]
    games += [game(10, 1, "tie"), game(10, 2, "tie"), game(11, 1, "model_1"), game(11, 2, None)]
    comp = comparisons(games)
    bias = position_bias(games, comp, Bootstrap(100))
    assert bias["first_position_wins"]["rate"] == 1.0 and bias["first_position_wins"]["n"] == 21
    assert bias["consistency"]["rate"] == pytest.approx(1 / 11)  # only the double tie agrees
    assert bias["tie_rate_games"]["n"] == 23 and bias["tie_rate_games"]["rate"] == pytest.approx(2 / 23)
    _, judges = pairwise_intervals(games, None, Bootstrap(100))
    assert list(judges.index) == ["gpt-4"] and judges.loc["gpt-4", "rate_hi"] <= 1.0


def test_histogram_and_self_preference() -> None:
    judgments = [grade(q, 1, 9.0, "gpt-4o") for q in range(10)] + [grade(q, 1, 6.5, "claude-3") for q in range(10)]
    assert score_histogram(judgments)["9"] == 10 and score_histogram(judgments)["6"] == 10
    own = self_preference("openai/gpt-4", judgments, None, Bootstrap(100))
    assert own["judge_family"] == "openai" and own["same_family_models"] == ["gpt-4o"]
    assert own["single"]["gap"] == 2.5 and own["single"]["lo"] == own["single"]["hi"] == 2.5


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    assert judgebench("import", "fastchat", str(fastchat_copy(tmp_path)), cwd=tmp_path).returncode == 0
    return tmp_path


def test_report_on_real_judgments_with_every_section(bench: Path) -> None:
    args = ("report", "-q", "mt_bench", "--baseline", "phi-3", "--bias", "--ratings", "--length-control")
    proc = judgebench(*args, "--votes", str(VOTES), "-f", "json", cwd=bench)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["bootstrap"] == {"replicates": 1000, "seed": 0, "level": 0.95, "unit": "question"}
    (judge,) = data["judges"]
    (single,) = judge["single"]
    printed = SHOW_RESULT_SINGLE["Stefanstud_FastChat"]["phi-3-dpo"][2]  # what FastChat's show_result printed
    assert single["overall"] == pytest.approx(printed, abs=PRINTED)
    assert single["overall_lo"] < single["overall"] < single["overall_hi"]  # the interval is around it
    (dpo,) = judge["pairwise"]["models"]
    printed = SHOW_RESULT_PAIR[("Stefanstud_FastChat", "phi-3")]["phi-3-dpo"][5]
    assert dpo["win_rate_adjusted"] == pytest.approx(printed, abs=PRINTED)
    assert dpo["win_rate_adjusted_lo"] < dpo["win_rate_adjusted"] < dpo["win_rate_adjusted_hi"]
    ratings = {r["model"]: r for r in judge["ratings"]["models"]}
    assert ratings["phi-3"]["rating"] == 1000.0 and ratings["phi-3-dpo"]["n"] == 73
    (lc,) = judge["length_control"]["models"]
    assert judge["length_control"]["variant"] == "minimal"
    assert lc["n"] == 73 and lc["mean_length_diff"] < 0 and lc["length_coef"] > 0  # shorter, and length wins
    assert lc["lc_win_rate"] > lc["win_rate_adjusted"]
    bias = judge["bias"]
    assert bias["position"]["consistency"]["rate"] == pytest.approx(46 / 73)
    assert bias["position"]["first_position_wins"]["rate"] > 0.5  # GPT-4 favours the first answer shown
    assert bias["longer_wins"]["rate"] > 0.5
    assert bias["failures"]["pair_games"]["failed"] == 3 and sum(bias["score_histogram"].values()) == 160
    (pooled,) = data["vote_ratings"]  # every voter in one table
    assert (pooled["votes"], pooled["n_voters"]) == (14, 4)
    assert [(r["voter"], r["votes"]) for r in pooled["voter_agreement"]] == [
        ("gpt4_pair", 6),
        ("expert_0", 4),
        ("expert_1", 3),
        ("author_0", 1),
    ]
    assert isinstance(data["injection_flags"], list)
    for fmt in ("table", "markdown", "csv"):
        shown = judgebench(*args, "-f", fmt, cwd=bench)
        assert shown.returncode == 0, shown.stderr
    table = judgebench("report", "-q", "mt_bench", cwd=bench).stdout
    assert "8.20 [" in table and "0.630 [" in table
    plain = json.loads(judgebench("report", "-q", "mt_bench", "--bootstrap", "0", "-f", "json", cwd=bench).stdout)
    assert plain["bootstrap"] is None and "overall_lo" not in plain["judges"][0]["single"][0]
    assert_one_line_error(judgebench(*args, "--anchor", "nobody", cwd=bench), 2, "--anchor nobody")


def test_agreement_between_a_bench_judge_and_its_own_grades(bench: Path) -> None:
    proc = judgebench(
        "agreement", "-q", "mt_bench", "-a", "pair:gpt-4", "-b", "gpt4_pair", "--votes", str(VOTES), cwd=bench
    )
    assert_one_line_error(proc, 2, "nothing to compare")  # the fixture's models are not phi-3's
    drop = judgebench("agreement", "-q", "mt_bench", "-a", "pair:gpt-4", "--inconsistent", "drop", cwd=bench)
    assert_one_line_error(drop, 2, "nothing to compare")  # one judge alone has no second voter
