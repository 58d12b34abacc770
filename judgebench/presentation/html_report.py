"""``report --html``: the report as one self-contained HTML file, and ``--plots``: its figures as PNGs.

The page needs no server and no network: figures are embedded ``data:`` SVG images, the
answer browser's data is a JSON block (``<script type="application/json">``) read by a
small hand-written script, and a Content-Security-Policy allows nothing else (no
fetches, no outside scripts, only that one inline script, by hash).

Everything from answers, questions and judgments is hostile text: tables are escaped
with :func:`html.escape`, the JSON block has ``<``, ``>`` and ``&`` written as ``\\u`` escapes
(so ``</script>`` cannot close it), and the script puts text in the page with
``textContent`` only, never as markup.

The browser lists one entry per (question, turn): the question, each model's answer (the
earlier turns folded), each judge's grade with its rationale, and each pairwise comparison
with both position-swapped games and their rationales. Filters: model, category, turn, and
*judges disagree* — an entry where the two games of a comparison name different winners,
where two judges reach different outcomes on one comparison, or where two judges' grades of
one answer differ by :data:`GRADE_GAP` or more.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgebench import __version__
from judgebench.pipeline.report import Report, ReportJob, report
from judgebench.presentation.report_format import Section, format_cell, report_sections
from judgebench.records import Answer, Judgment, PairGame, Question
from judgebench.storage import load_answers, load_judgments, load_pair_games, resolve_bench

__all__ = [
    "GRADE_GAP",
    "Evidence",
    "HtmlJob",
    "browser_entries",
    "figures_section",
    "html_report",
    "load_evidence",
    "render_html",
    "win_matrices",
]

GRADE_GAP = 2.0
"""Two judges' grades of one answer this far apart (or more) count as a disagreement."""


@dataclass(frozen=True)
class Evidence:
    """What the answer browser shows: questions, answers and every judge's verdicts."""

    questions: tuple[Question, ...] = ()
    answers: tuple[Answer, ...] = ()
    singles: tuple[Judgment, ...] = ()
    games: tuple[PairGame, ...] = ()


@dataclass(frozen=True)
class HtmlJob:
    """Where ``html_report`` writes: the HTML file and/or a folder of PNG figures."""

    report: ReportJob = field(default_factory=ReportJob)
    html: Path | None = None
    plots: Path | None = None


def load_evidence(job: ReportJob) -> Evidence:
    """Read the bench's questions, answers and judgments (of the judges and models the job asks for)."""
    from judgebench.pipeline.staleness import current_answers, drop_stale
    from judgebench.stats import latest_games, latest_judgments

    bench, qset = resolve_bench(job.questions, job.results_dir)
    root = job.results_dir / bench
    answers = [a for path in sorted((root / "answers").glob("*.jsonl")) for a in load_answers(path).values()]
    singles = [j for path in sorted((root / "judgments").glob("*_single.jsonl")) for j in load_judgments(path)]
    games = [g for path in sorted((root / "judgments").glob("*_pair.jsonl")) for g in load_pair_games(path)]
    judges, models = set(job.judges) - {"panel"}, set(job.models)  # the panel's verdicts are its judges'

    current = current_answers(root / "answers")  # verdicts of answers regenerated since are left out
    singles, _ = drop_stale(latest_judgments(singles), current)
    singles = [j for j in singles if (not judges or j.judge in judges) and (not models or j.model in models)]
    games, _ = drop_stale(latest_games(games), current)
    games = [
        g
        for g in games
        if (not judges or g.judge in judges) and (not models or {g.model_1, g.model_2} <= models | {job.baseline})
    ]
    answers = [a for a in answers if not models or a.model_id in models | {job.baseline}]
    return Evidence(qset.questions if qset else (), tuple(answers), tuple(singles), tuple(games))


def _outcome(g1: PairGame | None, g2: PairGame | None) -> str | None:
    """``model_1``, ``model_2`` or ``tie`` for a comparison (FastChat's rule), ``None`` if a game lacks a verdict.

    >>> g = dict(question_id=1, model_1="a", model_2="b", turn=1, judge="j", prompt="p")
    >>> _outcome(PairGame(game=1, winner="model_1", **g), PairGame(game=2, winner="model_1", **g))
    'model_1'
    >>> _outcome(PairGame(game=1, winner="model_1", **g), PairGame(game=2, winner="model_2", **g))
    'tie'
    """
    if g1 is None or g2 is None or g1.winner is None or g2.winner is None:
        return None
    return g1.winner if g1.winner == g2.winner else "tie"


def _pair_groups(games: Iterable[PairGame]) -> dict[tuple[str, int, str, str, str], dict[int, PairGame]]:
    groups: dict[tuple[str, int, str, str, str], dict[int, PairGame]] = defaultdict(dict)
    for g in games:
        groups[(str(g.question_id), g.turn, g.model_1, g.model_2, g.judge)][g.game] = g
    return groups


def win_matrices(games: Sequence[PairGame]) -> list[Any]:
    """Per judge, every model's adjusted win rate against every other (both games reconciled; a tie is half)."""
    from judgebench.presentation.plots import WinMatrix

    wins: dict[str, dict[tuple[str, str], list[float]]] = defaultdict(lambda: defaultdict(list))
    for (_, _, m1, m2, judge), pair in _pair_groups(games).items():
        outcome = _outcome(pair.get(1), pair.get(2))
        if outcome is None:
            continue
        score = {"model_1": 1.0, "model_2": 0.0, "tie": 0.5}[outcome]
        wins[judge][(m1, m2)].append(score)
        wins[judge][(m2, m1)].append(1.0 - score)
    out = []
    for judge, cells in sorted(wins.items()):
        models = tuple(sorted({m for pair in cells for m in pair}))
        rate = tuple(
            tuple(sum(cells[(a, b)]) / len(cells[(a, b)]) if cells.get((a, b)) else None for b in models)
            for a in models
        )
        n = tuple(tuple(len(cells.get((a, b), ())) for b in models) for a in models)
        out.append(WinMatrix(judge, models, rate, n))
    return out


def _game(g: PairGame | None) -> dict[str, Any] | None:
    if g is None:
        return None
    winner = {"model_1": g.model_1, "model_2": g.model_2, "tie": "tie"}.get(g.winner or "")
    return {"winner": winner, "status": g.status, "text": g.judgment or (g.error or "")}


def browser_entries(evidence: Evidence) -> list[dict[str, Any]]:
    """One JSON-able entry per (question, turn) with answers, grades and both games of each comparison."""
    questions = {str(q.question_id): q for q in evidence.questions}
    answers: dict[str, dict[str, tuple[str, ...]]] = defaultdict(dict)
    for a in evidence.answers:
        if a.status == "ok" and a.choices:
            answers[str(a.question_id)][a.model_id] = a.choices[0].turns
    grades: dict[tuple[str, int], list[Judgment]] = defaultdict(list)
    for j in evidence.singles:
        grades[(str(j.question_id), j.turn)].append(j)
    pairs: dict[tuple[str, int], list[tuple[str, str, str, dict[int, PairGame]]]] = defaultdict(list)
    for (qid, turn, m1, m2, judge), pair in _pair_groups(evidence.games).items():
        pairs[(qid, turn)].append((m1, m2, judge, pair))
    keys = {
        (qid, t) for qid, by_model in answers.items() for turns in by_model.values() for t in range(1, len(turns) + 1)
    }
    keys |= set(grades) | set(pairs)
    entries = []
    for qid, turn in sorted(keys, key=lambda k: (_sort_id(k[0]), k[1])):
        q = questions.get(qid)
        category = q.category if q else next((j.category for j in grades[(qid, turn)] if j.category), "")
        entry_grades = [
            {"model": j.model, "judge": j.judge, "score": j.score, "status": j.status, "text": j.judgment or j.error}
            for j in sorted(grades[(qid, turn)], key=lambda j: (j.model, j.judge))
        ]
        comparisons = []
        for m1, m2, judge, pair in sorted(pairs[(qid, turn)], key=lambda p: p[:3]):
            g1, g2 = pair.get(1), pair.get(2)
            outcome = _outcome(g1, g2)
            comparisons.append(
                {
                    "judge": judge,
                    "m1": m1,
                    "m2": m2,
                    "g1": _game(g1),
                    "g2": _game(g2),
                    "outcome": {"model_1": m1, "model_2": m2, "tie": "tie"}.get(outcome or ""),
                    "consistent": g1 is not None and g2 is not None and g1.winner == g2.winner,
                }
            )
        entry_answers = [
            {"model": model, "turns": list(turns[:turn])}
            for model, turns in sorted(answers.get(qid, {}).items())
            if len(turns) >= turn
        ]
        entries.append(
            {
                "qid": qid,
                "category": category,
                "turn": turn,
                "prompts": list(q.turns[:turn]) if q else [],
                "reference": q.reference[turn - 1] if q and q.reference and len(q.reference) >= turn else None,
                "answers": entry_answers,
                "grades": entry_grades,
                "pairs": comparisons,
                "disagree": _disagree(entry_grades, comparisons),
            }
        )
    return entries


def _sort_id(qid: str) -> tuple[int, int | str]:
    return (0, int(qid)) if qid.isdigit() else (1, qid)


def _disagree(grades: Sequence[Mapping[str, Any]], comparisons: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the verdicts in an entry conflict (see the module's docstring).

    >>> _disagree([{"model": "a", "score": 3.0}, {"model": "a", "score": 8.0}], [])
    True
    >>> _disagree([], [{"m1": "a", "m2": "b", "outcome": "a", "consistent": True, "g1": {}, "g2": {}}])
    False
    """
    for c in comparisons:
        if not c["consistent"] and c["g1"] is not None and c["g2"] is not None:
            return True
    outcomes: dict[tuple[str, str], set[str]] = defaultdict(set)
    for c in comparisons:
        if c["outcome"] is not None:
            outcomes[(c["m1"], c["m2"])].add(c["outcome"])
    if any(len(seen) > 1 for seen in outcomes.values()):
        return True
    scores: dict[str, list[float]] = defaultdict(list)
    for g in grades:
        if g["score"] is not None:
            scores[g["model"]].append(g["score"])
    return any(max(s) - min(s) >= GRADE_GAP for s in scores.values() if s)


def _cells(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A row's cells, each figure ``x`` shown with its interval ``x_lo``/``x_hi`` as ``x [lo, hi]``."""
    out = []
    for key, value in row.items():
        if key.endswith(("_lo", "_hi")) and key[:-3] in row:
            continue
        text = format_cell(key, value)
        lo, hi = row.get(f"{key}_lo"), row.get(f"{key}_hi")
        if value is not None and lo is not None and hi is not None:
            text += f" [{format_cell(key + '_lo', lo)}, {format_cell(key + '_hi', hi)}]"
        out.append((key.removeprefix("category:"), text))
    return out


def _table(section: Section) -> str:
    parts = []
    if section.rows:
        header = _cells(section.rows[0])
        parts.append("<table><thead><tr>" + "".join(f"<th>{html.escape(k)}</th>" for k, _ in header) + "</tr></thead>")
        body = ["<tr>" + "".join(f"<td>{html.escape(v)}</td>" for _, v in _cells(r)) + "</tr>" for r in section.rows]
        parts.append("<tbody>" + "".join(body) + "</tbody></table>")
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in section.notes]
    return "".join(parts)


def _json_block(data: Any) -> str:
    """JSON that cannot end its ``<script>`` element or open another.

    >>> _json_block({"a": "</script><!--&"})
    '{"a": "\\\\u003c/script\\\\u003e\\\\u003c!--\\\\u0026"}'
    """
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_HERE = Path(__file__).with_name("html_report_assets")


def _asset(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


def figures_section(plots: Sequence[Any]) -> str:
    """The ``<section id="figures">`` of ``plots`` (:class:`~judgebench.presentation.plots.Plot`), SVGs embedded."""
    parts = ['<section id="figures"><h2>Figures</h2><div class="figures">']
    for p in plots:
        data = base64.b64encode(p.svg.encode("utf-8")).decode("ascii")
        parts.append(
            f'<figure data-name="{html.escape(p.name)}"><img alt="{html.escape(p.title)}" '
            f'src="data:image/svg+xml;base64,{data}"><figcaption>{html.escape(p.title)}</figcaption></figure>'
        )
    parts.append("</div></section>")
    return "".join(parts)


def render_html(result: Report, evidence: Evidence, plots: Sequence[Any] = ()) -> str:
    """The whole page: figures, tables (with intervals), bias panel, run manifest and the answer browser."""
    script = _asset("browser.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    policy = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
    title = f"judgebench report: {result.bench}"
    nav, body = [], []
    if result.warnings:
        body.append('<section id="warnings"><h2>Warnings</h2><ul>')
        body += [f"<li>{html.escape(w)}</li>" for w in result.warnings]
        body.append("</ul></section>")
    if plots:
        nav.append('<a href="#figures">Figures</a>')
        body.append(figures_section(plots))
    for i, section in enumerate(report_sections(result)):
        anchor = f"section-{i}"
        kind = _section_kind(section.title)
        nav.append(f'<a href="#{anchor}">{html.escape(section.title.removeprefix(result.bench + " — "))}</a>')
        body.append(f'<section id="{anchor}" class="table {kind}"><h2>{html.escape(section.title)}</h2>')
        body.append(_table(section) + "</section>")
    entries = browser_entries(evidence)
    nav.append('<a href="#browser">Answers and verdicts</a>')
    body.append(_browser_shell(entries))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_asset('report.css')}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1>"
        f'<p class="note">judgebench {html.escape(__version__)}; every figure shows its n and, '
        "where drawn, its 95 % question-clustered bootstrap interval as <code>x [lo, hi]</code>.</p>"
        f"<nav>{' · '.join(nav)}</nav></header><main>{''.join(body)}</main>"
        f'<script type="application/json" id="jb-data">{_json_block(entries)}</script>'
        f"<script>{script}</script></body></html>\n"
    )


def _section_kind(title: str) -> str:
    for needle, kind in (
        ("judge panel", "panel"),
        ("rank stability", "panel"),
        ("self-preference", "panel"),
        ("bias", "bias"),
        ("runs behind", "runs"),
        ("ratings", "ratings"),
        ("pairwise", "pairwise"),
        ("single grades", "single"),
    ):
        if needle in title:
            return kind
    return "other"


def _browser_shell(entries: Sequence[Mapping[str, Any]]) -> str:
    models = sorted(
        {a["model"] for e in entries for a in e["answers"]} | {g["model"] for e in entries for g in e["grades"]}
    )
    categories = sorted({e["category"] for e in entries if e["category"]})
    turns = sorted({e["turn"] for e in entries})

    def options(name: str, values: Iterable[Any], everything: str) -> str:
        items = [f'<option value="">{everything}</option>']
        items += [f'<option value="{html.escape(str(v))}">{html.escape(str(v))}</option>' for v in values]
        return f'<select id="filter-{name}" aria-label="{name}">{"".join(items)}</select>'

    return (
        '<section id="browser"><h2>Answers and verdicts</h2>'
        '<div class="filters">'
        f"<label>model {options('model', models, 'all models')}</label>"
        f"<label>category {options('category', categories, 'all categories')}</label>"
        f"<label>turn {options('turn', turns, 'both turns' if len(turns) == 2 else 'all turns')}</label>"
        '<label><input type="checkbox" id="filter-disagree"> judges disagree</label>'
        '<span id="browser-count" aria-live="polite"></span></div>'
        '<div id="entries"></div><button type="button" id="more" hidden>show more</button></section>'
    )


def html_report(job: HtmlJob) -> Report:
    """Make the report, then write its HTML page and/or its PNG figures; returns the report."""
    from judgebench.presentation.plots import draw

    result = report(job.report)
    evidence = load_evidence(job.report)
    plots = draw(result, win_matrices(evidence.games), png_dir=job.plots)
    if job.html is not None:
        from judgebench.storage import replace_file

        replace_file(job.html, render_html(result, evidence, plots).encode("utf-8"))
    return result
