"""``report --panel``: pool the reported judges into one more judge, :data:`~judgebench.stats.panel.PANEL`.

The panel's records (mean grades; majority verdicts, no majority → tie — see
:mod:`judgebench.stats.panel`) join the report as a judge named ``panel``, so
every table, interval, rating and figure a judge has, the panel has too; the
panel's own section adds Krippendorff's α, each judge's leave-one-out agreement
with the others, Kendall's τ between judges' model rankings and self-preference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from judgebench.errors import UsageError
from judgebench.records import Judgment, PairScore

if TYPE_CHECKING:
    import pandas as pd

    from judgebench.stats import Bootstrap

__all__ = ["PANEL", "add_panel"]

PANEL = "panel"
"""The panel's judge name (the same as :data:`judgebench.stats.panel.PANEL`, without importing numpy)."""


def add_panel(
    judges: list[str],
    singles: dict[str, list[Judgment]],
    pairs: dict[str, pd.DataFrame],
    boot: Bootstrap,
    notes: list[str],
    models: tuple[str, ...] = (),
    baseline: str | None = None,
    scores: dict[str, list[PairScore]] | None = None,
) -> dict[str, Any]:
    """Add the panel of ``judges`` to ``singles``/``pairs`` and ``judges``; its summary.

    A mode (single, pairwise or pair-score) forms a panel when at least two of ``judges``
    have records of it.

    Args:
        judges: the reported judges (the panel is appended).
        singles: judge → latest current single grades (the panel's are added).
        pairs: judge → latest current game table (the panel's is added).
        boot: the bootstrap of τ's intervals.
        notes: where left-out items are explained.
        models: ``--model``: the figures are of these models only (pairwise: games between
            them and ``baseline``), as the judges' tables are; the panel's records keep every model.
        baseline: the report's baseline.
        scores: judge → latest current paired-scoring records (the panel's, each answer's
            mean score per game, are added: :func:`judgebench.stats.panel.score_panel`).

    Returns:
        :func:`judgebench.stats.panel_agreement.panel_summary`'s figures.

    Raises:
        UsageError: fewer than two judges in every mode, or a judge already named ``panel``.
    """
    from judgebench.records.columns import game_frame, games_from_frame
    from judgebench.stats.panel import game_panel, grade_panel, score_panel
    from judgebench.stats.panel_agreement import panel_summary

    if PANEL in judges:
        raise UsageError(f"--panel: a judge is already named {PANEL!r} — report the judges without --panel")
    graders = [j for j in judges if singles.get(j)]
    pairers = [j for j in judges if j in pairs and len(pairs[j])]
    scores = {} if scores is None else scores
    scorers = [j for j in judges if scores.get(j)]
    if len(graders) < 2 and len(pairers) < 2 and len(scorers) < 2:
        raise UsageError(
            f"--panel: needs two judges or more with judgments of the same mode; have {', '.join(judges) or 'none'} "
            "— judge with several (judge --judge A --judge B …)"
        )
    wanted = set(models)
    allowed = wanted | {baseline}
    grades = game = None
    if len(graders) >= 2:
        grades = grade_panel({j: singles[j] for j in graders})
        singles[PANEL] = grades.judgments()
        if grades.left_out:
            notes.append(f"panel: {grades.left_out} single items not graded by every judge are left out of the panel")
        if wanted:
            grades = grade_panel({j: [r for r in singles[j] if r.model in wanted] for j in graders})
    if len(pairers) >= 2:
        game = game_panel({j: games_from_frame(pairs[j]) for j in pairers})
        pairs[PANEL] = game_frame(game.pair_games())
        if game.left_out:
            notes.append(f"panel: {game.left_out} pair games without a verdict of every judge are left out")
        if wanted:
            game = game_panel(
                {j: [g for g in games_from_frame(pairs[j]) if {g.model_1, g.model_2} <= allowed] for j in pairers}
            )
    if len(scorers) >= 2:
        scores[PANEL], left_out = score_panel({j: scores[j] for j in scorers})
        if left_out:
            notes.append(f"panel: {left_out} paired-scoring games without both scores of every judge are left out")
    judges.append(PANEL)
    summary = panel_summary(grades, game, boot)
    summary["judges"] = list(dict.fromkeys([*summary["judges"], *(scorers if len(scorers) >= 2 else ())]))
    return summary
