"""Statistics: pure functions of records (numpy/pandas; scipy.optimize for logistic fits). No I/O, no clock.

- :mod:`~judgebench.stats.tables`: FastChat-equal score and win/loss/tie tables.
- :mod:`~judgebench.stats.games`: pair games as columns, joined and reconciled into comparisons.
- :mod:`~judgebench.stats.bootstrap`: question-clustered bootstrap intervals.
- :mod:`~judgebench.stats.logistic`: the logistic fits (library + vectorised replicates).
- :mod:`~judgebench.stats.ratings`: Bradley–Terry ratings on the Elo scale.
- :mod:`~judgebench.stats.length`: AlpacaEval 2's length-controlled win rate.
- :mod:`~judgebench.stats.bias`: judge-bias diagnostics.
- :mod:`~judgebench.stats.agreement`: agreement between judges (FastChat's percentages, Cohen's κ).
- :mod:`~judgebench.stats.deltas`: paired deltas between two runs and the regression gate's verdict.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from judgebench.stats.bootstrap import (
        Bootstrap,
        pairwise_intervals,
        percentile_interval,
        question_weights,
        ratio_interval,
        single_intervals,
    )
    from judgebench.stats.games import Comparisons, comparisons
    from judgebench.stats.panel import PANEL, GamePanel, GradePanel, game_panel, grade_panel
    from judgebench.stats.panel_agreement import panel_summary
    from judgebench.stats.ratings import (
        ELO_SCALE,
        Outcomes,
        Ratings,
        bradley_terry,
        outcomes_from_comparisons,
        outcomes_from_votes,
    )
    from judgebench.stats.tables import (
        FASTCHAT_ERROR,
        PairKey,
        PairwiseTable,
        SingleTable,
        latest_games,
        latest_judgments,
        pair_key,
        pair_rows_from_games,
        pairwise_table,
        single_table,
        to_records,
    )

# Each name's module, imported on first use: a default report needs the tables and the bootstrap,
# not ratings, length control, bias or panels (PEP 562 module __getattr__).
_EXPORTS = {
    "Bootstrap": "bootstrap",
    "Comparisons": "games",
    "ELO_SCALE": "ratings",
    "FASTCHAT_ERROR": "tables",
    "GamePanel": "panel",
    "GradePanel": "panel",
    "Outcomes": "ratings",
    "PANEL": "panel",
    "PairKey": "tables",
    "PairwiseTable": "tables",
    "Ratings": "ratings",
    "SingleTable": "tables",
    "bradley_terry": "ratings",
    "comparisons": "games",
    "game_panel": "panel",
    "grade_panel": "panel",
    "latest_games": "tables",
    "latest_judgments": "tables",
    "outcomes_from_comparisons": "ratings",
    "outcomes_from_votes": "ratings",
    "pair_key": "tables",
    "pair_rows_from_games": "tables",
    "pairwise_intervals": "bootstrap",
    "pairwise_table": "tables",
    "panel_summary": "panel_agreement",
    "percentile_interval": "bootstrap",
    "question_weights": "bootstrap",
    "ratio_interval": "bootstrap",
    "single_intervals": "bootstrap",
    "single_table": "tables",
    "to_records": "tables",
}

__all__ = [
    "ELO_SCALE",
    "FASTCHAT_ERROR",
    "PANEL",
    "Bootstrap",
    "Comparisons",
    "GamePanel",
    "GradePanel",
    "Outcomes",
    "PairKey",
    "PairwiseTable",
    "Ratings",
    "SingleTable",
    "bradley_terry",
    "comparisons",
    "game_panel",
    "grade_panel",
    "latest_games",
    "latest_judgments",
    "outcomes_from_comparisons",
    "outcomes_from_votes",
    "pair_key",
    "pair_rows_from_games",
    "pairwise_intervals",
    "pairwise_table",
    "panel_summary",
    "percentile_interval",
    "question_weights",
    "ratio_interval",
    "single_intervals",
    "single_table",
    "to_records",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
