"""Bradley–Terry ratings and length control: known answers from direct fits written independently."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from judgebench.records import HumanVote, PairGame
from judgebench.stats import (
    ELO_SCALE,
    Bootstrap,
    bradley_terry,
    comparisons,
    outcomes_from_comparisons,
    outcomes_from_votes,
)
from judgebench.stats.length import length_controlled
from judgebench.stats.logistic import fit_logistic, newton_replicates

MODELS = ["a", "b", "c", "d", "e"]
TRUE = {"a": 0.0, "b": 0.6, "c": -0.4, "d": 1.1, "e": 0.2}


def simulated_games(pairs: list[tuple[str, str]], n_questions: int, seed: int) -> list[PairGame]:
    """Two consistent games per comparison; a tie one time in five."""
    rng = np.random.default_rng(seed)
    games = []
    for q in range(n_questions):
        for turn in (1, 2):
            for m1, m2 in pairs:
                p = 1 / (1 + math.exp(-(TRUE[m1] - TRUE[m2])))
                u = rng.random()
                winner = "tie" if u < 0.2 else "model_1" if u < 0.2 + 0.8 * p else "model_2"
                for game in (1, 2):
                    games.append(
                        PairGame(
                            question_id=q, model_1=m1, model_2=m2, turn=turn, judge="j", prompt="p",
                            game=game, winner=winner,  # type: ignore[arg-type]
                        )
                    )  # fmt: skip
    return games


def direct_fit(games: list[PairGame], anchor: str) -> dict[str, float]:
    """Maximum likelihood over one row per comparison, by a general-purpose optimiser (no aggregation, no sklearn)."""
    comp = comparisons(games)
    free = [m for m in comp.models if m != anchor]
    first = np.array([comp.models[i] for i in comp.model_1])
    second = np.array([comp.models[i] for i in comp.model_2])
    x = np.array([[(f == m) - (s == m) for m in free] for f, s in zip(first, second, strict=True)], dtype=float)
    y = comp.outcome

    def nll(beta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = x @ beta
        p = 1 / (1 + np.exp(-eta))
        value = -np.sum(y * -np.logaddexp(0, -eta) + (1 - y) * -np.logaddexp(0, eta))
        return float(value), -(x.T @ (y - p))

    result = minimize(nll, np.zeros(len(free)), jac=True, method="BFGS", options={"gtol": 1e-10, "maxiter": 1000})
    return {anchor: 1000.0} | {m: 1000.0 + ELO_SCALE * b for m, b in zip(free, result.x, strict=True)}


@pytest.mark.parametrize(
    ("design", "pairs"),
    [
        ("all pairs", [(m1, m2) for i, m1 in enumerate(MODELS) for m2 in MODELS[i + 1 :]]),
        ("baseline only", [("a", m) if k % 2 else (m, "a") for k, m in enumerate(MODELS[1:])]),
    ],
)
def test_bradley_terry_equals_a_direct_logistic_fit(design: str, pairs: list[tuple[str, str]]) -> None:
    games = simulated_games(pairs, 60, seed=3)
    ratings = bradley_terry(outcomes_from_comparisons(comparisons(games)), anchor="a", bootstrap=Bootstrap(200))
    want = direct_fit(games, "a")
    got = ratings.table["rating"].to_dict()
    assert got == pytest.approx(want, abs=1e-4), design
    assert ratings.anchor == "a" and got["a"] == 1000.0
    assert list(ratings.table.index) == sorted(got, key=lambda m: -got[m])
    assert list(ratings.table["rank"]) == [1, 2, 3, 4, 5]
    table = ratings.table
    assert ((table["rating_lo"] <= table["rating"] + 1e-9) & (table["rating"] <= table["rating_hi"] + 1e-9)).all()
    assert ratings.n_unidentified == 0 and ratings.n_questions == 60
    assert (table["rank_lo"] <= table["rank"]).all() and (table["rank"] <= table["rank_hi"]).all()


def test_default_anchor_is_the_most_compared_model_and_seed_reproduces() -> None:
    games = simulated_games([("a", "b"), ("a", "c"), ("a", "d")], 20, seed=1)
    out = outcomes_from_comparisons(comparisons(games))
    first = bradley_terry(out, bootstrap=Bootstrap(100, seed=7))
    assert first.anchor == "a"
    again = bradley_terry(out, bootstrap=Bootstrap(100, seed=7))
    assert first.table.equals(again.table)
    other = bradley_terry(out, bootstrap=Bootstrap(100, seed=8))
    assert not first.table["rating_lo"].equals(other.table["rating_lo"])
    with pytest.raises(ValueError, match="anchor 'zz'"):
        bradley_terry(out, anchor="zz")


def test_a_model_that_won_everything_has_no_finite_rating() -> None:
    g = {"model_1": "a", "model_2": "b", "turn": 1, "judge": "j", "prompt": "p"}
    games = [PairGame(question_id=q, game=n, winner="model_1", **g) for q in range(5) for n in (1, 2)]  # type: ignore[arg-type]
    ratings = bradley_terry(outcomes_from_comparisons(comparisons(games)), bootstrap=Bootstrap(10))
    assert "no finite ratings" in ratings.note
    assert ratings.table["rating"].isna().all()


def test_newton_replicates_equal_the_library_fit_on_each_replicate() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(200), rng.normal(size=200), rng.normal(size=200)])
    y = (rng.random(200) < 1 / (1 + np.exp(-(0.3 + x[:, 1])))).astype(float)
    y[::7] = 0.5  # some ties
    start = fit_logistic(x, y, np.ones(200))
    assert start is not None
    weights = rng.multinomial(200, np.full(200, 1 / 200), size=5).astype(float)
    reps = newton_replicates(x, weights * y, weights, start)
    for w, rep in zip(weights, reps, strict=True):
        direct = fit_logistic(x, w * y, w)
        assert direct is not None
        assert rep == pytest.approx(direct, abs=1e-6)


def test_ratings_from_human_votes_count_both_kinds_of_tie() -> None:
    votes = [
        HumanVote(1, "x", "y", "model_a", "expert_0", 1),
        HumanVote(1, "y", "x", "model_b", "expert_1", 1),  # x wins again, shown the other way round
        HumanVote(2, "x", "y", "tie (bothbad)", "expert_0", 2),
        HumanVote(3, "x", "y", "model_b", "author_0", 1),
    ]
    out = outcomes_from_votes(votes)
    assert out.score.tolist() == [1.0, 0.0, 0.5, 0.0]
    ratings = bradley_terry(out, anchor="y", bootstrap=Bootstrap(0))
    # x scored 2.5 of 4: β = log(2.5 / 1.5)
    assert ratings.table.loc["x", "rating"] == pytest.approx(1000 + ELO_SCALE * math.log(2.5 / 1.5), abs=1e-6)


def test_length_control_removes_a_pure_length_effect() -> None:
    """Equal quality, but the judge prefers the longer answer: LC win rate ≈ 0.5, length coefficient > 0."""
    rng = np.random.default_rng(5)
    games, lengths = [], {}
    for q in range(150):
        for turn in (1, 2):
            base_len, model_len = int(rng.integers(200, 1500)), int(rng.integers(200, 3000))
            lengths[("base", str(q), turn)], lengths[("m", str(q), turn)] = base_len, model_len
            p = 1 / (1 + math.exp(-2.0 * math.tanh((model_len - base_len) / 700)))
            winner = "model_1" if rng.random() < p else "model_2"
            for game in (1, 2):
                games.append(
                    PairGame(
                        question_id=q, model_1="m", model_2="base", turn=turn, judge="j", prompt="p",
                        game=game, winner=winner,  # type: ignore[arg-type]
                    )
                )  # fmt: skip
    lc = length_controlled(comparisons(games, "base"), lengths, "base", bootstrap=Bootstrap(200))
    row = lc.table.loc["m"]
    assert lc.variant == "minimal"
    assert row["win_rate_adjusted"] > 0.6  # the raw win rate is inflated by length
    assert row["lc_win_rate_lo"] < 0.5 < row["lc_win_rate_hi"]
    assert abs(row["lc_win_rate"] - 0.5) < 0.08
    assert row["length_coef"] > 1.0 and row["length_coef_lo"] > 0
    assert row["n"] == 300 and row["n_no_length"] == 0


def test_full_length_control_with_instruction_difficulty_orders_models_by_quality() -> None:
    """Five models; hard questions hurt every model; the judge also likes length. LC keeps the quality order."""
    rng = np.random.default_rng(11)
    quality = {"m1": -0.8, "m2": -0.3, "m3": 0.0, "m4": 0.4, "m5": 0.9}
    verbosity = {"m1": 2.5, "m2": 1.0, "m3": 1.6, "m4": 0.8, "m5": 1.1}  # m1 is long-winded and weak
    games, lengths = [], {}
    for q in range(100):
        hard = rng.normal(0, 1)
        base = int(600 * rng.lognormal(0, 0.5))
        lengths[("base", str(q), 1)] = base
        for m, theta in quality.items():
            length = int(600 * verbosity[m] * rng.lognormal(0, 0.5))
            lengths[(m, str(q), 1)] = length
            p = 1 / (1 + math.exp(-(theta - hard + 1.5 * math.tanh((length - base) / 800))))
            winner = "model_1" if rng.random() < p else "model_2"
            for game in (1, 2):
                games.append(
                    PairGame(
                        question_id=q, model_1=m, model_2="base", turn=1, judge="j", prompt="p",
                        game=game, winner=winner,  # type: ignore[arg-type]
                    )
                )  # fmt: skip
    lc = length_controlled(comparisons(games, "base"), lengths, "base", bootstrap=Bootstrap(100))
    assert lc.variant == "full" and lc.note == ""
    assert list(lc.table.index) == ["m5", "m4", "m3", "m2", "m1"]
    assert lc.table.loc["m1", "lc_win_rate"] < lc.table.loc["m1", "win_rate_adjusted"]  # length inflated m1
