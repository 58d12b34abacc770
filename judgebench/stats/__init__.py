"""Statistics: pure functions of records (numpy/pandas; scipy.optimize for logistic fits). No I/O, no clock.

- :mod:`~judgebench.stats.tables`: FastChat-equal score and win/loss/tie tables.
- :mod:`~judgebench.stats.bootstrap`: question-clustered bootstrap intervals.
- :mod:`~judgebench.stats.logistic`: the logistic fits (library + vectorised replicates).
- :mod:`~judgebench.stats.ratings`: Bradley–Terry ratings on the Elo scale.
- :mod:`~judgebench.stats.length`: AlpacaEval 2's length-controlled win rate.
- :mod:`~judgebench.stats.bias`: judge-bias diagnostics.
- :mod:`~judgebench.stats.agreement`: agreement between judges (FastChat's percentages, Cohen's κ).
- :mod:`~judgebench.stats.deltas`: paired deltas between two runs and the regression gate's verdict.
"""

from judgebench.stats.bootstrap import (
    Bootstrap,
    Comparisons,
    comparisons,
    pairwise_intervals,
    percentile_interval,
    question_weights,
    ratio_interval,
    single_intervals,
)
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
