"""Writing a ``validate-judge`` result down: the titled tables (terminal, Markdown) and the one-page HTML."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from judgebench.pipeline.report_rows import Row
from judgebench.pipeline.validation import Validation, agreement_rows, validation_rows
from judgebench.pipeline.validation_panel import PanelValidation
from judgebench.presentation.html_report import asset, figure_html, table_html
from judgebench.presentation.tables import Section
from judgebench.records import UNREADABLE_FIX, counted

if TYPE_CHECKING:
    from judgebench.presentation.plots import Plot

__all__ = ["panel_rows", "panel_sections", "validation_html", "validation_sections"]


def validation_sections(result: Validation) -> list[Section]:
    """The comparison as titled tables for the terminal and Markdown, the verdict last."""
    rows = validation_rows(result)
    how = (
        f"single grades as pair verdicts: a tie when the grades differ by ≤ {result.tie_threshold:g}"
        if result.mode == "single"
        else "pairwise, both orders; games that disagree count as a tie (FastChat)"
    )
    notes: tuple[str, ...] = (
        f"on the {counted(result.items, 'voted item')} (question, model pair, turn) the judge has verdicts on, "
        f"{counted(result.questions, 'question')}; rate: share of (verdict, human vote) pairs that agree; κ: Cohen's κ "
        "(humans with each other: both marginals pooled, judgebench/stats/agreement.py)",
        how,
        "[lo, hi]: 95% question-clustered bootstrap",
    )
    own = _own(result)
    if result.unreadable:
        notes += (
            f"{counted(result.unreadable, 'voted item')} left out: the judge's verdict "
            f"could not be read — {UNREADABLE_FIX}",
        )
    return [
        Section(f"{result.bench} — agreement with the human votes", rows, notes),
        Section("the judge", [own]),
        Section("verdict", [], (result.verdict_line, *filter(None, (result.unverified_line,)))),
    ]


def _own(result: Validation) -> Row:
    """The judge's own figures: tie rate, position consistency (pairwise), spend."""
    own: Row = {"judge": result.judge, "tie_rate": result.tie_rate}
    if result.consistency is not None:
        own["position_consistency_rate"] = result.consistency["rate"]
        own["comparisons"] = result.consistency["n"]
    if result.spend is not None:
        own |= {"runs": result.spend["runs"], "calls": result.spend["calls"], "cost_usd": result.spend["cost_usd"]}
    return own


def panel_rows(result: PanelValidation, turn: int | str | None = None) -> list[Row]:
    """The agreement rows of each member, the panel, the reference and the humans, each with its ``items``.

    Args:
        result: the panel's comparison.
        turn: only this scope (``1``, ``2``, ``"all"``); default every scope.
    """
    rows: list[Row] = []
    for row in result.rows:
        own = [r for r in row.agreement if r["who"] == "judge"]
        rows += [{"who": r.pop("who"), "items": row.items, **r} for r in agreement_rows(own, row.judge, "", turn)]
    for r in agreement_rows(result.references, "", result.reference, turn):
        rows.append({"who": r.pop("who"), "items": result.items, **r})
    return rows


def panel_sections(result: PanelValidation) -> list[Section]:
    """A panel's comparison as titled tables: every member's and the panel's rows, then one verdict line each."""
    members = ", ".join(result.judges)
    if result.mode == "single":
        rule = (
            f"panel: each answer's grade is the mean of the members' grades, then a tie when the two means differ "
            f"by ≤ {result.panel.tie_threshold or 0.0:g} (report --panel's rule)"
        )
    else:
        rule = (
            "panel: in each order the verdict more than half of the members gave, no majority a tie; then both "
            "orders reconciled, games that disagree a tie (report --panel's rule)"
        )
    notes: tuple[str, ...] = (
        f"each row on the voted (question, model pair, turn) items it has verdicts on (items); "
        f"{result.reference} and the humans on the {counted(result.items, 'item')} any row covers, "
        f"{counted(result.questions, 'question')}; rate: share of (verdict, human vote) pairs that agree; κ: Cohen's κ "
        "(humans with each other: both marginals pooled, judgebench/stats/agreement.py)",
        rule,
        "[lo, hi]: 95% question-clustered bootstrap; each verdict compares with GPT-4 on that row's own items",
    )
    for row in result.rows[:-1]:
        if row.unreadable:
            notes += (f"{row.judge}: {counted(row.unreadable, 'voted item')} left out: its verdict could not be read — "
                      f"{UNREADABLE_FIX}",)  # fmt: skip
    if result.panel.unreadable:
        notes += (
            f"panel: {counted(result.panel.unreadable, 'voted item')} judged but left out: not every member has a "
            "readable verdict on it (in both orders)",
        )
    judges = [{"judge": row.judge, "items": row.items, "left_out": row.unreadable, **_own(row)} for row in result.rows]
    verdicts = tuple(f"{row.judge}: {row.verdict_line}" for row in result.rows)
    return [
        Section(f"{result.bench} — agreement with the human votes (panel of {members})", panel_rows(result), notes),
        Section("the judges", judges, ("panel: its runs, calls and cost are the sum of its members'",)),
        Section("verdict", [], (*verdicts, *filter(None, (result.panel.unverified_line,)))),
    ]


def validation_html(result: Validation | PanelValidation, plots: Sequence[Plot]) -> str:
    """One self-contained page: the agreement figures (SVG, embedded), the tables and the verdict (one per row)."""
    if isinstance(result, PanelValidation):
        title = f"validate-judge: panel of {', '.join(result.judges)}"
        verdicts = [f"{row.judge}: {row.verdict_line}" for row in result.rows]
        warning_line, sections = result.panel.unverified_line, panel_sections(result)
    else:
        title = f"validate-judge: {result.judge}"
        verdicts, warning_line, sections = [result.verdict_line], result.unverified_line, validation_sections(result)
    warning = f"<p><strong>{html.escape(warning_line)}</strong></p>" if warning_line else ""
    lines = "".join(f"<p><strong>{html.escape(line)}</strong></p>" for line in verdicts)
    body = [f'<section id="verdict"><h2>Verdict</h2>{lines}{warning}</section>']
    body.append('<section id="figures"><h2>Figures</h2><div class="figures">')
    body += [figure_html(p, named=False) for p in plots]
    body.append("</div></section>")
    for section in sections[:-1]:
        body.append(f'<section class="table"><h2>{html.escape(section.title)}</h2>{table_html(section)}</section>')
    policy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        f"<title>{html.escape(title)}</title><style>{asset('report.css')}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1></header><main>{''.join(body)}</main></body></html>\n"
    )
