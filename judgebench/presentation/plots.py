"""The report's figures, drawn with matplotlib (the only module that imports it; Agg backend, no display).

Each figure says its n and shows its interval where the report has one. A figure is
returned as SVG text (embedded in the HTML report as a ``data:`` image, so nothing in it can
run or collide with the page) and, with ``png_dir``, also written as a PNG file.
Output is deterministic: no dates in the metadata and a fixed SVG id salt.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from judgebench.pipeline.report import JudgeReport, Report
from judgebench.records import counted
from judgebench.storage import model_slug

__all__ = ["Plot", "WinMatrix", "draw", "draw_agreement"]


@dataclass(frozen=True)
class WinMatrix:
    """Adjusted win rate of each row model against each column model (a tie counts half).

    ``rate[i][j]`` is ``None`` where the two never met; ``n[i][j]`` counts their comparisons.
    """

    judge: str
    models: tuple[str, ...]
    rate: tuple[tuple[float | None, ...], ...]
    n: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Plot:
    """One drawn figure: a file-safe ``name``, a ``title``, the SVG text and its PNG path if written."""

    name: str
    title: str
    svg: str
    png: Path | None = None


def _label(text: str) -> str:
    """A label matplotlib shows as written (``$`` would start mathtext).

    >>> _label("cost $5")
    'cost \\\\$5'
    """
    return text.replace("$", r"\$")


def _title(ax: Any, title: str) -> None:
    """``title`` over ``ax`` from its left edge, wrapped at the figure's edge instead of cut off there."""
    ax.set_title(_label(title), loc="left", wrap=True)


def _error(rows: Sequence[Mapping[str, Any]], key: str) -> tuple[list[float], list[float]] | None:
    """Lower/upper error-bar lengths from ``key_lo``/``key_hi``, or ``None`` without intervals."""
    lows, highs = [], []
    for row in rows:
        value, lo, hi = row.get(key), row.get(f"{key}_lo"), row.get(f"{key}_hi")
        if value is None or lo is None or hi is None:
            return None
        lows.append(max(0.0, value - lo))
        highs.append(max(0.0, hi - value))
    return lows, highs


def _bars(title: str, rows: Sequence[Mapping[str, Any]], key: str, label: str, xlim: tuple[float, float]) -> Figure:
    """Horizontal bars of ``key`` per model with its interval; the n of each in its label."""
    rows = [r for r in rows if r.get(key) is not None]
    fig, ax = plt.subplots(figsize=(6.4, 0.8 + 0.38 * max(len(rows), 1)), layout="constrained")
    names = [_label(f"{r['model']}  (n={r.get('n', '?')})") for r in rows]
    values = [float(r[key]) for r in rows]
    error = _error(rows, key)
    ax.barh(names, values, xerr=error, color="#4c78a8", ecolor="#333333", capsize=3)
    ax.invert_yaxis()
    ax.set_xlim(*xlim)
    ax.set_xlabel(_label(label))
    _title(ax, title)
    return fig


def _relative_chart(judge: JudgeReport) -> tuple[str, Figure]:
    """Each model's total as a percentage of the reference's (``report --relative-to``), with intervals.

    Bars are labelled with the (question, turn) items both models were graded on; a dotted line marks 100 %.
    """
    rows = [r | {"n": r.get("relative_n", 0)} for r in judge.single if r.get("relative_pct") is not None]
    top = max([100.0, *(float(r.get("relative_pct_hi") or r["relative_pct"]) for r in rows)])
    title = f"relative quality: total as % of {judge.relative_to}'s, judged by {judge.judge}"
    fig = _bars(title, rows, "relative_pct", f"% of {judge.relative_to}'s total score", (0, top * 1.1))
    fig.axes[0].axvline(100.0, color="#888888", linestyle=":", linewidth=1)
    return title, fig


def _pair_score_charts(judge: JudgeReport, slug: str) -> list[tuple[str, str, Figure]]:
    """Paired scoring: each model's total as % of its baseline's (bars with intervals) and stacked win/tie/loss."""
    rows = [r | {"model": f"{r['model']} vs {r['baseline']}"} for r in judge.pair_score]
    top = max([100.0, *(float(r.get("relative_pct_hi") or r.get("relative_pct") or 0.0) for r in rows)])
    title = f"paired scoring: total as % of the baseline's, judged by {judge.judge}"
    out = [
        (
            f"{slug}-pair-relative",
            title,
            _bars(title, rows, "relative_pct", "% of the baseline's total", (0, top * 1.1)),
        )
    ]
    out[0][2].axes[0].axvline(100.0, color="#888888", linestyle=":", linewidth=1)  # as good as the baseline
    fig, ax = plt.subplots(figsize=(6.4, 1.4 + 0.38 * len(rows)), layout="constrained")
    names = [_label(f"{r['model']}  (n={r['n']})") for r in rows]
    left = [0.0] * len(rows)
    for key, colour in (("wins", "#4c78a8"), ("ties", "#bab0ac"), ("losses", "#e45756")):
        counts = [float(r[key]) for r in rows]
        ax.barh(names, counts, left=left, color=colour, label=key)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("comparisons")
    title = f"paired scoring: win / tie / loss against the baseline, judged by {judge.judge}"
    _title(ax, title)
    fig.legend(fontsize=8, ncols=3, loc="outside lower center")  # below the axes: never over a bar
    out.append((f"{slug}-pair-wtl", title, fig))
    return out


def _category_chart(judge: JudgeReport) -> Figure | None:
    """Mean grade per category per model: a radar with 3+ categories, grouped bars otherwise."""
    categories = sorted(
        {k.removeprefix("category:") for r in judge.single for k in r if k.startswith("category:")}
        - {k.removeprefix("category:") for r in judge.single for k in r if k.endswith(("_lo", "_hi"))}
    )
    if not categories:
        return None
    models = [r["model"] for r in judge.single]
    values = [[r.get(f"category:{c}") for c in categories] for r in judge.single]
    grades = counted(sum(r.get("n", 0) for r in judge.single), "grade")
    title = f"mean grade per category, judged by {judge.judge} (n = {grades})"
    if len(categories) >= 3:
        angles = [2 * math.pi * i / len(categories) for i in range(len(categories))]
        fig, ax = plt.subplots(figsize=(6.4, 5.2), subplot_kw={"projection": "polar"}, layout="constrained")
        for model, row in zip(models, values, strict=True):
            points = [float(v) if v is not None else 0.0 for v in row]
            ax.plot([*angles, angles[0]], [*points, points[0]], linewidth=1.5, label=_label(model))
            ax.fill([*angles, angles[0]], [*points, points[0]], alpha=0.08)
        ax.set_xticks(angles, [_label(c) for c in categories])
        ax.set_ylim(0, 10)
        ax.set_title(_label(title), loc="left", fontsize=9)
        ax.legend(loc="upper right", bbox_to_anchor=(1.35, 1.1), fontsize=8)
        return fig
    fig, ax = plt.subplots(figsize=(6.4, 3.2), layout="constrained")
    width = 0.8 / max(len(models), 1)
    for i, (model, row) in enumerate(zip(models, values, strict=True)):
        xs = [c + i * width for c in range(len(categories))]
        ax.bar(xs, [float(v) if v is not None else 0.0 for v in row], width, label=_label(model))
    ax.set_xticks([c + 0.4 - width / 2 for c in range(len(categories))], [_label(c) for c in categories])
    ax.set_ylim(0, 10)
    ax.set_ylabel("mean grade")
    ax.set_title(_label(title), loc="left")
    ax.legend(fontsize=8)
    return fig


def _matrix_chart(matrix: WinMatrix) -> Figure:
    """A heatmap of the row model's adjusted win rate against the column model, n in each cell."""
    size = len(matrix.models)
    fig, ax = plt.subplots(figsize=(3.6 + 0.8 * size, 2.0 + 0.7 * size), layout="constrained")
    grid = [[math.nan if v is None else v for v in row] for row in matrix.rate]
    image = ax.imshow(grid, cmap="RdBu", vmin=0, vmax=1)
    for i in range(size):
        for j in range(size):
            rate = matrix.rate[i][j]
            if rate is not None:
                ax.text(j, i, f"{rate:.2f}\nn={matrix.n[i][j]}", ha="center", va="center", fontsize=7)
    ticks = [_label(m) for m in matrix.models]
    ax.set_xticks(range(size), ticks, rotation=30, ha="right")
    ax.set_yticks(range(size), ticks)
    ax.set_title("adjusted win rate, row vs column", loc="left")
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def _figures(result: Report, matrices: Sequence[WinMatrix]) -> list[tuple[str, str, Figure]]:
    out: list[tuple[str, str, Figure]] = []
    by_judge = {m.judge: m for m in matrices}
    for j in result.judges:
        slug = model_slug(j.judge)
        if j.single:
            title = f"mean grade (both turns) by {j.judge}"
            out.append((f"{slug}-scores", title, _bars(title, j.single, "overall", "mean grade (1–10)", (0, 10))))
            if j.relative_to is not None:
                out.append((f"{slug}-relative", *_relative_chart(j)))
            chart = _category_chart(j)
            if chart is not None:
                out.append((f"{slug}-categories", f"mean grade per category by {j.judge}", chart))
        if j.pair_score:
            out += _pair_score_charts(j, slug)
        if j.pairwise:
            against = f"against {j.baseline}" if j.baseline else "all pairs"
            title = f"adjusted win rate {against}, judged by {j.judge}"
            out.append((f"{slug}-winrate", title, _bars(title, j.pairwise, "win_rate_adjusted", "win rate", (0, 1))))
        if j.judge in by_judge and len(by_judge[j.judge].models) > 1:
            out.append((f"{slug}-matrix", f"pairwise win-rate matrix ({j.judge})", _matrix_chart(by_judge[j.judge])))
        if j.ratings is not None and j.ratings["models"]:
            rows = j.ratings["models"]
            values = [r["rating"] for r in rows if r.get("rating") is not None]
            if values:
                low = min(r.get("rating_lo") or r["rating"] for r in rows if r.get("rating") is not None)
                high = max(r.get("rating_hi") or r["rating"] for r in rows if r.get("rating") is not None)
                pad = max(50.0, 0.1 * (high - low))
                title = (
                    f"Bradley–Terry rating (Elo scale) by {j.judge}, {counted(j.ratings['comparisons'], 'comparison')}"
                )
                out.append((f"{slug}-ratings", title, _bars(title, rows, "rating", "rating", (low - pad, high + pad))))
    return out


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


_STYLE = {"svg.hashsalt": "judgebench", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
"""matplotlib settings of every figure (a fixed SVG hash salt keeps the HTML reproducible)."""


def _render(figures: Callable[[], Iterable[tuple[str, str, Figure]]], png_dir: Path | None) -> list[Plot]:
    """Draw ``figures()`` (name, title, figure) in our style as SVG; with ``png_dir``, also ``<name>.png``."""
    plots: list[Plot] = []
    with plt.rc_context(_STYLE):  # type: ignore[arg-type]  # the stubs want literal keys
        for name, title, fig in figures():
            try:
                png = None
                if png_dir is not None:
                    png_dir.mkdir(parents=True, exist_ok=True)
                    png = png_dir / f"{name}.png"
                    fig.savefig(png, format="png", dpi=150, metadata={"Software": None})
                plots.append(Plot(name, title, _svg(fig), png))
            finally:
                plt.close(fig)
    return plots


def draw(result: Report, matrices: Sequence[WinMatrix] = (), png_dir: Path | None = None) -> list[Plot]:
    """Draw the report's main figures; with ``png_dir``, also save each as ``<name>.png`` there."""
    return _render(lambda: _figures(result, matrices), png_dir)


def draw_agreement(rows: Sequence[Mapping[str, Any]], title: str, png_dir: Path | None = None) -> list[Plot]:
    """``validate-judge``'s figures: agreement with the humans, with and without ties, with intervals.

    Args:
        rows: one per judge compared (``who`` as its label, then ``n``, ``rate``,
            ``n_no_tie``, ``rate_no_tie`` and their ``_lo``/``_hi``), e.g. the
            judge, GPT-4 and the humans with each other.
        title: the figures' title.
        png_dir: also write ``agreement.png`` and ``agreement-no-tie.png`` there.

    Returns:
        the two figures (SVG text, and the PNG path when written).
    """

    def figures() -> Iterator[tuple[str, str, Figure]]:
        for name, suffix, what in (("agreement", "", "with ties"), ("agreement-no-tie", "_no_tie", "without ties")):
            bars = [
                {"model": r["who"], "n": r[f"n{suffix}"], "rate": r[f"rate{suffix}"],
                 "rate_lo": r[f"rate{suffix}_lo"], "rate_hi": r[f"rate{suffix}_hi"]}
                for r in rows
            ]  # fmt: skip
            caption = f"{title} ({what})"
            yield name, caption, _bars(caption, bars, "rate", "agreement with the human votes", (0.0, 1.0))

    return _render(figures, png_dir)
