"""Judge panels, the statistics: mean grades, majority verdicts, α, τ and self-preference on cases computed by hand."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Literal

import pytest

from judgebench.records import Judgment, PairGame
from judgebench.stats import Bootstrap
from judgebench.stats.panel import game_panel, grade_panel
from judgebench.stats.panel_agreement import panel_summary

# -- cases computed by hand -----------------------------------------------------------------------------------------

MODELS = ("a-model", "b-model", "openai/gpt-4o-mini")
"""Items sort in this order; only the last is of a judge's family (openai)."""
GRADES = {"fake/judge-a": (1.0, 2.0, 3.0), "fake/judge-c": (2.0, 2.0, 3.0), "openai/gpt-4o": (1.0, 2.0, 4.0)}


def _grades() -> dict[str, list[Judgment]]:
    return {
        judge: [
            Judgment(question_id=1, model=m, turn=1, judge=judge, prompt="p", score=s)
            for m, s in zip(MODELS, scores, strict=True)
        ]
        for judge, scores in GRADES.items()
    }


def test_grade_panel_alpha_tau_and_self_preference_by_hand() -> None:
    panel = grade_panel(_grades())
    assert [j.score for j in panel.judgments()] == pytest.approx([4 / 3, 2.0, 10 / 3])
    assert {j.judge for j in panel.judgments()} == {"panel"}
    summary = panel_summary(panel, None, Bootstrap(replicates=50, seed=1))
    single = summary["single"]
    # Interval α, units (1,2,1) (2,2,2) (3,3,4): D_o = 4/9, D_e = 136/72, α = 1 - 4/17.
    assert (single["items"], single["left_out"], single["level"]) == (3, 0, "interval")
    assert single["alpha"] == pytest.approx(13 / 17, abs=1e-12)
    assert (single["alpha_lo"], single["alpha_hi"]) == pytest.approx((13 / 17, 13 / 17))  # one question: no spread
    loo = {o["judge"]: o["alpha"] for o in single["judge_vs_others"]}
    # fake/judge-a (1,2,3) against the others' mean (1.5,2,3.5): D_o = 1/6, D_e = 52/30, α = 47/52.
    assert loo["fake/judge-a"] == pytest.approx(47 / 52, abs=1e-12)
    # Kendall's τ-b of the model rankings: (1,2,3) vs (1,2,4) concordant; vs (2,2,3) 2/sqrt(6) (one tie).
    tau = {(r["judge_a"], r["judge_b"]): r for r in summary["rank_stability"]}
    assert tau[("fake/judge-a", "openai/gpt-4o")]["tau"] == pytest.approx(1.0)
    assert tau[("fake/judge-a", "fake/judge-c")]["tau"] == pytest.approx(2 / math.sqrt(6))
    assert tau[("fake/judge-c", "openai/gpt-4o")]["tau"] == pytest.approx(2 / math.sqrt(6))
    # One question: every bootstrap replicate draws it, so the interval is the point.
    row = tau[("fake/judge-a", "fake/judge-c")]
    assert (row["tau_lo"], row["tau_hi"], row["models"], row["questions"]) == pytest.approx(
        (2 / math.sqrt(6), 2 / math.sqrt(6), 3, 1)
    )
    # openai/gpt-4o grades openai/gpt-4o-mini 4; the others 3 and 3.
    (pref,) = summary["self_preference"]
    assert pref == {
        "judge": "openai/gpt-4o", "family": "openai", "mode": "single", "models": ["openai/gpt-4o-mini"], "n": 1,
        "judge_score": 4.0, "others_score": 3.0, "gap": 1.0, "gap_lo": 1.0, "gap_hi": 1.0, "flag": True,
    }  # fmt: skip


def test_items_not_graded_by_every_judge_are_left_out() -> None:
    grades = _grades()
    grades["fake/judge-c"] = grades["fake/judge-c"][:2]
    panel = grade_panel(grades)
    assert (len(panel.items), panel.left_out) == (2, 1)


VERDICTS = {"j1": (0, 0, 1, 2), "j2": (0, 0, 1, 1), "j3": (0, 1, 1, 2)}
"""Per game: 0 — m-a wins, 1 — m-b wins, 2 — tie."""


def _games() -> dict[str, list[PairGame]]:
    winners: tuple[Literal["model_1", "model_2", "tie"], ...] = ("model_1", "model_2", "tie")
    slots = ((1, 1), (1, 2), (2, 1), (2, 2))  # (question, game)
    out: dict[str, list[PairGame]] = {}
    for judge, codes in VERDICTS.items():
        out[judge] = []
        for (q, game), code in zip(slots, codes, strict=True):
            g = PairGame(question_id=q, model_1="m-a", model_2="m-b", turn=1, judge=judge, prompt="p", game=game)
            out[judge].append(replace(g, winner=winners[code]))
    return out


def test_game_panel_majority_nominal_alpha_by_hand() -> None:
    panel = game_panel(_games())
    assert panel.verdicts == [["m-a", "m-a", "m-b", "tie"], ["m-a", "m-a", "m-b", "m-b"], ["m-a", "m-b", "m-b", "tie"]]
    # Majorities: (0,0,0) m-a; (0,0,1) m-a; (1,1,1) m-b; (2,1,2) tie.
    assert [g.winner for g in panel.pair_games()] == ["model_1", "model_1", "model_2", "tie"]
    summary = panel_summary(None, panel, Bootstrap(replicates=0))
    pair = summary["pairwise"]
    # Coincidences o00=4 o01=o10=1 o11=3 o12=o21=1 o22=1, n=12: D_o = 4/12, D_e = 90/132, α = 23/45.
    assert (pair["games"], pair["level"]) == (4, "nominal")
    assert pair["alpha"] == pytest.approx(23 / 45, abs=1e-12)
    assert (pair["alpha_lo"], pair["alpha_hi"]) == (None, None)  # --bootstrap 0
    j1 = next(o for o in pair["judge_vs_others"] if o["judge"] == "j1")
    # The others' majority of j2, j3: (0, tie, 1, tie) — two judges who disagree tie; j1 agrees on 3 of 4.
    assert j1["agree"] == 0.75
    assert j1["alpha"] == pytest.approx(2 / 3, abs=1e-12)
    assert summary["self_preference"] == []
    assert [(r["judge_a"], r["judge_b"], r["tau_lo"]) for r in summary["rank_stability"]] == [
        ("j1", "j2", None), ("j1", "j3", None), ("j2", "j3", None),
    ]  # fmt: skip


def test_pairwise_self_preference_by_hand() -> None:
    def game(judge: str, n: int, winner: Literal["model_1", "model_2", "tie"]) -> PairGame:
        g = PairGame(
            question_id=n, model_1="openai/gpt-4o-mini", model_2="m-b", turn=1, judge=judge, prompt="p", game=1
        )
        return replace(g, winner=winner)

    verdicts: dict[str, tuple[Literal["model_1", "model_2", "tie"], ...]] = {
        "openai/gpt-4o": ("model_1", "model_1"),  # its family's model wins both
        "j1": ("model_1", "tie"),
        "j2": ("model_2", "tie"),  # the others' majority: tie, tie
    }
    panel = game_panel({j: [game(j, n, w) for n, w in enumerate(ws, start=1)] for j, ws in verdicts.items()})
    (pref,) = panel_summary(None, panel, Bootstrap(replicates=20))["self_preference"]
    assert pref == {
        "judge": "openai/gpt-4o", "family": "openai", "mode": "pairwise", "models": ["openai/gpt-4o-mini"], "n": 2,
        "judge_score": 1.0, "others_score": 0.5, "gap": 0.5, "gap_lo": 0.5, "gap_hi": 0.5, "flag": True,
    }  # fmt: skip  # every question moves the gap by 0.5, so every replicate's gap is 0.5


def test_no_majority_is_a_tie() -> None:
    games = _games()
    del games["j3"]
    panel = game_panel(games)
    assert [g.winner for g in panel.pair_games()] == ["model_1", "model_1", "model_2", "tie"]
    games = {j: g for j, g in _games().items() if j != "j1"}
    assert [g.winner for g in game_panel(games).pair_games()] == ["model_1", "tie", "model_2", "tie"]
