"""Tables as text: the titled :class:`Section`, cell formats, and Markdown and CSV writers every renderer shares."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from judgebench.pipeline.report_rows import Cell, IntervalInfo, Row

__all__ = ["Section", "csv_text", "format_cell", "interval_note", "markdown_sections", "markdown_table"]


@dataclass(frozen=True)
class Section:
    """One titled table of a rendered report, with lines of notes under it."""

    title: str
    rows: Sequence[Row]
    notes: tuple[str, ...] = ()


_THREE_DECIMALS = ("rate", "kappa", "spearman", "coef", "value", "p_chance", "alpha", "tau")
_WHOLE = ("rating", "mean_length_diff")


def format_cell(key: str, value: Cell) -> str:
    """How a report value is shown: rates to 3 decimals, ratings whole, other numbers to 2, missing as "–".

    >>> format_cell("win_rate", 0.5), format_cell("overall", 7.0), format_cell("n", 3), format_cell("turn2", None)
    ('0.500', '7.00', '3', '–')
    >>> format_cell("rating_lo", 1012.4), format_cell("kappa_no_tie", 0.25)
    ('1012', '0.250')
    """
    if value is None:
        return "–"
    if isinstance(value, float):
        base = key.removesuffix("_lo").removesuffix("_hi")
        if base.startswith(_WHOLE):
            return f"{value:.0f}"
        return f"{value:.3f}" if any(word in base for word in _THREE_DECIMALS) else f"{value:.2f}"
    return str(value)


def interval_note(bootstrap: IntervalInfo) -> str:
    """The note under a table with intervals: their level, unit and replicates.

    >>> interval_note({"replicates": 1000, "seed": 0, "level": 0.95, "unit": "question"})
    '[lo, hi]: 95% percentile intervals, question-clustered bootstrap (1000 replicates, seed 0)'
    """
    return (
        f"[lo, hi]: {bootstrap['level']:.0%} percentile intervals, question-clustered bootstrap "
        f"({bootstrap['replicates']} replicates, seed {bootstrap['seed']})"
    )


def markdown_table(rows: Sequence[Mapping[str, Cell]]) -> list[str]:
    """A pipe table (columns: the first row's keys), then a blank line; ``[]`` without rows."""
    if not rows:
        return []
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(format_cell(k, r.get(k)) for k in keys) + " |" for r in rows]
    return [*lines, ""]


def markdown_sections(sections: Sequence[Section], *, blank_after_notes: bool = True) -> list[str]:
    """Each section as a ``##`` heading, its pipe table and its notes (Markdown line breaks)."""
    lines: list[str] = []
    for section in sections:
        lines += [f"## {section.title}", "", *markdown_table(section.rows)]
        if blank_after_notes:
            lines += [*(f"{note}  " for note in section.notes), ""] if section.notes else []
        else:
            lines += [f"{note}  " for note in section.notes]
    return lines


def csv_text(rows: Sequence[Mapping[str, Cell]]) -> str:
    """One CSV table, columns the union of the rows' keys in first-seen order."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
