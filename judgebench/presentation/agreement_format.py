"""Writing an ``agreement`` result down: JSON, CSV, Markdown, and the two titled tables rich draws."""

from __future__ import annotations

import json

from judgebench.pipeline.agreement import AgreementResult
from judgebench.pipeline.report_rows import Row
from judgebench.presentation.tables import Section, csv_text, interval_note, markdown_sections

__all__ = ["agreement_sections", "render_agreement_csv", "render_agreement_json", "render_agreement_markdown"]

_KEYS = ("turn", "n_items", "n_questions", "n", "agree", "rate", "rate_lo", "rate_hi", "kappa", "kappa_lo", "kappa_hi")


def render_agreement_json(result: AgreementResult) -> str:
    """The result as indented JSON."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_agreement_csv(result: AgreementResult) -> str:
    """One row per turn (then ``all``)."""
    return csv_text([{"a": result.a, "b": result.b, **r} for r in result.rows])


def _without_ties(key: str) -> str:
    """The column of ``key``'s figure without ties: ``rate_lo`` → ``rate_no_tie_lo``; counts of items stay.

    >>> _without_ties("kappa_hi"), _without_ties("n"), _without_ties("n_items")
    ('kappa_no_tie_hi', 'n_no_tie', 'n_items')
    """
    if key in ("turn", "n_items", "n_questions"):
        return key
    figure, _, bound = key.partition("_")
    return f"{figure}_no_tie{'_' + bound if bound else ''}"


def agreement_sections(result: AgreementResult) -> list[Section]:
    """Two tables (with ties, without ties) and the notes saying what was compared."""
    title = f"agreement among {result.a}" if result.same_group else f"agreement: {result.a} vs {result.b}"
    with_ties: list[Row] = [{k: r[k] for k in _KEYS} for r in result.rows]
    without: list[Row] = [{k: r[_without_ties(k)] for k in _KEYS} for r in result.rows]
    notes = [f"{side}: {text}" for side, text in result.sources.items()]
    if result.bootstrap:
        notes.append(interval_note(result.bootstrap))
    notes.append("n: vote pairs compared (each pair of a vote of one side with a vote of the other on the same item)")
    return [
        Section(f"{title} — with ties", with_ties),
        Section(f"{title} — without ties (pairs where neither said tie)", without, tuple(notes)),
    ]


def render_agreement_markdown(result: AgreementResult) -> str:
    """The result as Markdown."""
    return "\n".join(markdown_sections(agreement_sections(result), blank_after_notes=False)) + "\n"
