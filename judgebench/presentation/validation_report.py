"""``validate-judge``'s result for people: titled tables (terminal, Markdown) and one HTML page.

The figures come from :func:`judgebench.pipeline.validation.validate_judge`; this
module only lays them out (it was part of the pipeline step before; presentation
is its home).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from judgebench.pipeline.validation import Validation, validation_rows
from judgebench.presentation.report_format import Section
from judgebench.records import UNREADABLE_FIX, counted

__all__ = ["validation_html", "validation_sections"]


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
        f"{counted(result.questions, 'question')}; rate: share of (verdict, human vote) pairs that agree; κ: Cohen's",
        how,
        "[lo, hi]: 95% question-clustered bootstrap",
    )
    own: dict[str, Any] = {"judge": result.judge, "tie_rate": result.tie_rate}
    if result.consistency is not None:
        own["position_consistency_rate"] = result.consistency["rate"]
        own["comparisons"] = result.consistency["n"]
    if result.spend is not None:
        own |= {"runs": result.spend["runs"], "calls": result.spend["calls"], "cost_usd": result.spend["cost_usd"]}
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


def validation_html(result: Validation, plots: Sequence[Any]) -> str:
    """One self-contained page: the agreement figures (SVG, embedded), the tables and the verdict."""
    import html

    from judgebench.presentation.html_report import _asset, _table, figures_section

    title = f"validate-judge: {result.judge}"
    warning = f"<p><strong>{html.escape(result.unverified_line)}</strong></p>" if result.unverified_line else ""
    body = [
        f'<section id="verdict"><h2>Verdict</h2><p><strong>{html.escape(result.verdict_line)}</strong></p>'
        f"{warning}</section>"
    ]
    body.append(figures_section(plots))
    for section in validation_sections(result)[:-1]:
        body.append(f'<section class="table"><h2>{html.escape(section.title)}</h2>{_table(section)}</section>')
    policy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        f"<title>{html.escape(title)}</title><style>{_asset('report.css')}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1></header><main>{''.join(body)}</main></body></html>\n"
    )
