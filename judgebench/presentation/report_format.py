"""Writing a report down: titled sections for rich and Markdown, JSON and CSV text, cell formats."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from judgebench.pipeline.report import Report
from judgebench.records import RunManifest, counted

__all__ = [
    "Section",
    "format_cell",
    "markdown_table",
    "render_csv",
    "render_json",
    "render_markdown",
    "report_sections",
    "run_rows",
    "tiny_model_caveat",
]


def render_json(result: Report) -> str:
    """The report as indented JSON."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


_THREE_DECIMALS = ("rate", "kappa", "spearman", "coef", "value", "p_chance", "alpha", "tau")
_WHOLE = ("rating", "mean_length_diff")


def format_cell(key: str, value: Any) -> str:
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


def _columns(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    """``model`` and the keys starting with ``prefix``."""
    return {k: v for k, v in row.items() if k == "model" or k.startswith(prefix)}


@dataclass(frozen=True)
class Section:
    """One titled table of a rendered report, with lines of notes under it."""

    title: str
    rows: list[dict[str, Any]]
    notes: tuple[str, ...] = ()


def _interval_note(result: Report) -> str:
    b = result.bootstrap
    if not b:
        return "no intervals (--bootstrap 0)"
    return (
        f"[lo, hi]: {b['level']:.0%} percentile intervals, question-clustered bootstrap "
        f"({b['replicates']} replicates, seed {b['seed']})"
    )


def _bias_rows(bias: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(name: str, figure: dict[str, Any] | None, value: str = "rate") -> None:
        if figure is not None and figure.get("n"):
            rows.append(
                {"diagnostic": name, "value": figure[value], "value_lo": figure["lo"], "value_hi": figure["hi"]}
                | {"n": figure["n"]}
            )

    position = bias.get("position") or {}
    add("position consistency (both games agree)", position.get("consistency"))
    add("P(first position wins), decisive games", position.get("first_position_wins"))
    add("tie rate, games", position.get("tie_rate_games"))
    add("tie rate, comparisons (incl. inconsistent)", position.get("tie_rate_comparisons"))
    add("P(longer answer wins), decisive comparisons", bias.get("longer_wins"))
    add("Spearman(grade, answer length)", bias.get("score_length"), "spearman")
    for kind, label in (("single", "grades"), ("pair_games", "pair games")):
        f = bias["failures"][kind]
        if f["n"]:
            rows.append({"diagnostic": f"unparsed verdicts, {label}", "value": f["unparsed_rate"], "n": f["n"]})
            if f.get("truncated"):
                share = f["truncated"] / f["n"]
                rows.append(
                    {"diagnostic": f"of which cut off at the token limit, {label}", "value": share, "n": f["n"]}
                )
            rows.append({"diagnostic": f"failed calls, {label}", "value": f["failed_rate"], "n": f["n"]})
    own = bias["self_preference"]
    if own["single"]:
        s = own["single"]
        rows.append(
            {"diagnostic": f"own family ({own['judge_family']}) mean grade − others'", "value": s["gap"]}
            | {"value_lo": s["lo"], "value_hi": s["hi"], "n": s["n_same"] + s["n_other"]}
        )
    if own["pairwise"] and own["pairwise"]["n"]:
        p = own["pairwise"]
        rows.append(
            {
                "diagnostic": f"own family ({own['judge_family']}) adjusted win rate vs others",
                "value": p["win_rate_adjusted"],
            }
            | {"value_lo": p["lo"], "value_hi": p["hi"], "n": p["n"]}
        )
    for row in rows:
        row.setdefault("value_lo", None)
        row.setdefault("value_hi", None)
        row["n"] = row.pop("n")
    return rows


def _pair_score_notes(result: Report, rows: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    excluded = sum(int(r["excluded"]) for r in rows)
    tie = result.tie_threshold
    return (
        "both answers scored 1–10 in one prompt, in both orders; each answer's two scores averaged; totals summed "
        f"over the n comparisons; relative_pct = 100 · model_total / baseline_total; {excluded} excluded for a "
        "game without both scores",
        f"win / tie / loss by the averaged scores (a tie: at most {tie:g} points apart, --tie-threshold)",
        "first_position_bonus: mean over answers of (score shown first − score shown second), points, with its "
        "interval — how much the order moved the scores; order_shift: its mean size",
        _interval_note(result),
    )


def tiny_model_caveat(model_ids: Sequence[str]) -> tuple[str, ...]:
    """The caveat a table carries when an embedded tiny base model answered or judged in it, else ``()``.

    >>> tiny_model_caveat(["openai/gpt-4o", "local/gemma-3-270m"])
    ('local/gemma-3-270m: tiny base model, not for conclusions — these numbers show the pipeline working',)
    >>> tiny_model_caveat(["openai/gpt-4o"])
    ()
    """
    from judgebench.providers.local import EMBEDDED

    tiny = sorted({m for m in model_ids if m.startswith("local/") and m.removeprefix("local/") in EMBEDDED})
    if not tiny:
        return ()
    return (f"{', '.join(tiny)}: tiny base model, not for conclusions — these numbers show the pipeline working",)


def _models_of(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [str(r[k]) for r in rows for k in ("model", "model_1", "model_2") if k in r]


def _breakdown_sections(
    bench: str, judge: str, against: str, breakdown: list[dict[str, Any]], interval: str
) -> list[Section]:
    """Pairwise win rate per turn (when there are two turns or more) and per category."""
    sections = []
    note = "adjusted win rate (wins + ties/2) / comparisons; both games of a comparison reconciled"
    for what, prefix in (("turn", "turn"), ("category", "category:")):
        part = [_columns(r, prefix) for r in breakdown]
        scopes = sum(not k.endswith(("_lo", "_hi")) for k in part[0]) - 1 if part else 0
        if scopes > 1 or (scopes == 1 and what == "category"):  # one turn: the pairwise table says it
            sections.append(
                Section(f"{bench} — pairwise win rate per {what}, {against} ({judge})", part, (note, interval))
            )
    return sections


def _vote_sections(result: Report, interval: str) -> list[Section]:
    """The pooled ratings from votes, then the voters' table."""
    sections: list[Section] = []
    for v in result.vote_ratings:
        notes = (
            f"{counted(v['votes'], 'vote')} by {counted(v['n_voters'], 'voter')} pooled; {v['anchor']} anchored at "
            f"{v['anchor_rating']:.0f}; {interval}",
            *([v["note"]] if v["note"] else []),
        )
        sections.append(Section(f"{result.bench} — pooled ratings from all votes", v["models"], notes))
        voter_notes = (
            "rate: share of a voter's decided votes (not ties) that pick the model the other voters' pooled "
            "ratings rate higher (leave-one-voter-out); chance is 0.5",
            "at_chance: one-sided exact binomial test against 0.5 gives p_chance ≥ 0.05 (includes too few votes)",
        )
        title = "voters: votes and agreement with the others' ratings"
        sections.append(Section(title, v["voter_agreement"], voter_notes))
    return sections


def _spend_sections(result: Report) -> list[Section]:
    """Spend per model and judge over every run."""
    sections: list[Section] = []
    if result.spend:
        runs = sum(r["runs"] for r in result.spend)
        known = [r["cost_usd"] for r in result.spend if r["cost_usd"] is not None]
        total = f"${sum(known):.4f}" if known else "unknown"
        unpriced = sum(r["unpriced_runs"] for r in result.spend)
        notes = (
            f"total over all {counted(runs, 'run')}: {total}"
            + (f" ({counted(unpriced, 'run')} without a known price)" if unpriced else ""),
        )
        sections.append(Section("spend per model and judge, summed over every run", list(result.spend), notes))
    return sections


PANEL_RULES = (
    "panel: single — the mean of the judges' grades of an item; pairwise — the verdict of more than half the "
    "judges per game, else a tie; paired scoring — the mean of the judges' scores of each answer of a game; "
    "only items every judge gave a verdict for",
)


def _panel_sections(result: Report, interval: str) -> list[Section]:
    """The panel's agreement, rank stability and self-preference (its tables are the judge ``panel``'s)."""
    p = result.panel
    if p is None:
        return []
    judges = ", ".join(p["judges"])
    agreement: list[dict[str, Any]] = []
    for mode in ("single", "pairwise"):
        a = p[mode]
        if a is None:
            continue
        n = a["items"] if mode == "single" else a["games"]
        agreement.append(
            {"mode": mode, "judge": "all judges", "n": n, "left_out": a["left_out"], "level": a["level"],
             "alpha": a["alpha"], "alpha_lo": a["alpha_lo"], "alpha_hi": a["alpha_hi"], "agree_rate": None}
        )  # fmt: skip
        agreement += [
            {"mode": mode, "judge": f"{o['judge']} vs the others", "n": o["n"], "left_out": None, "level": a["level"],
             "alpha": o["alpha"], "alpha_lo": None, "alpha_hi": None, "agree_rate": o.get("agree")}
            for o in a["judge_vs_others"]
        ]  # fmt: skip
    sections = [
        Section(
            f"{result.bench} — judge panel ({judges}): agreement",
            agreement,
            (
                *PANEL_RULES,
                "alpha: Krippendorff's alpha (krippendorff package), interval data for grades, nominal for verdicts; "
                "'vs the others': the judge against the panel of the other judges (leave-one-out); "
                "agree_rate: share of games with the same verdict",
                interval,
            )
            if agreement
            else (*PANEL_RULES, "no alpha or tau for paired scores yet: compare the judges' Vicuna tables"),
        )
    ]
    notes: tuple[str, ...]
    if p["rank_stability"]:
        notes = (
            "tau: Kendall's tau-b between two judges' model rankings (mean grade; pairwise: adjusted win rate) "
            "over the panel's items",
            interval,
        )
        sections.append(Section(f"{result.bench} — rank stability across judges", p["rank_stability"], notes))
    if p["self_preference"]:
        rows = [{**r, "models": ", ".join(r["models"])} for r in p["self_preference"]]
        notes = (
            "a judge grading models of its own family (vendor by model-name prefix, e.g. openai/gpt-4o and "
            "openai/gpt-4o-mini): judge_score is its mean grade (pairwise: adjusted win rate) of them, others_score "
            "the other judges' panel on the same items; flag: the judge's is higher",
            interval,
        )
        sections.append(Section(f"{result.bench} — self-preference in the panel", rows, notes))
    return sections


def report_sections(result: Report) -> list[Section]:
    """The report as titled tables, in reading order (the Markdown and rich renderings draw these)."""
    sections: list[Section] = []
    interval = _interval_note(result)
    for j in result.judges:
        caveat = tiny_model_caveat([j.judge, *_models_of(j.single), *_models_of(j.pairwise)])
        if j.single:
            plain = [{k: v for k, v in r.items() if not k.startswith("category:")} for r in j.single]
            relative: tuple[str, ...] = ()
            if j.relative_to is not None:
                relative = (
                    f"relative_pct: relative_total as a percentage of {j.relative_to}'s total (reference_total) over "
                    "the relative_n (question, turn) items both were graded on",
                )
            title = f"{result.bench} — single grades by {j.judge}"
            cover = tuple(v for k, v in j.coverage.items() if k == "single")
            sections.append(Section(title, plain, (*cover, interval, *relative, *caveat)))
            per_category = [{k: v for k, v in r.items() if k == "model" or k.startswith("category:")} for r in j.single]
            if len(per_category[0]) > 1:
                title = f"{result.bench} — mean grade per category ({j.judge})"
                sections.append(Section(title, per_category, caveat))
        if j.pairwise:
            against = f"against {j.baseline}" if j.baseline else "all pairs"
            notes = (
                f"{counted(j.pair_comparisons, 'comparison')} (each judged in both orders); "
                f"{j.pair_excluded} excluded for a game without a verdict",
                *(v for k, v in j.coverage.items() if k == "pairwise"),
                interval,
                *caveat,
            )
            sections.append(Section(f"{result.bench} — pairwise, {against}, judged by {j.judge}", j.pairwise, notes))
            if j.consistency:
                sections.append(Section("position consistency (both games agree)", j.consistency))
            sections += _breakdown_sections(result.bench, j.judge, against, j.pairwise_breakdown, interval)
        if j.pair_score:
            sections.append(
                Section(f"{result.bench} — paired scoring (Vicuna table), judged by {j.judge}", j.pair_score,
                        _pair_score_notes(result, j.pair_score))
            )  # fmt: skip
        if j.ratings is not None:
            r = j.ratings
            notes = (
                f"Bradley–Terry on {counted(r['comparisons'], 'comparison')} from "
                f"{counted(r['questions'], 'question')}; "
                f"{r['anchor']} anchored at {r['anchor_rating']:.0f}; a tie is half a win",
                *((r["note"],) if r["note"] else ()),
                *((f"{r['replicates_unidentified']} replicates without finite ratings left out",)
                  if r["replicates_unidentified"] and not r["note"] else ()),
            )  # fmt: skip
            sections.append(Section(f"{result.bench} — ratings (Elo scale) by {j.judge}", r["models"], notes))
        if j.length_control is not None:
            lc = j.length_control
            notes = (
                f"AlpacaEval 2 length control ({lc['variant']} GLM); length_coef: log-odds per unit of "
                "tanh(length difference / sd); > 0 favours the longer answer",
                *((lc["note"],) if lc["note"] else ()),
            )
            title = f"{result.bench} — length-controlled win rate against {lc['baseline']} ({j.judge})"
            sections.append(Section(title, lc["models"], notes))
        if j.bias is not None:
            sections.append(Section(f"{result.bench} — bias diagnostics of {j.judge}", _bias_rows(j.bias), (interval,)))
            histogram = j.bias.get("score_histogram")
            if histogram and any(histogram.values()):
                sections.append(Section(f"grades given by {j.judge} (bin k: k ≤ grade < k+1)", [histogram]))
    sections += _panel_sections(result, interval)
    sections += _vote_sections(result, interval)
    if result.injection_flags is not None:
        flags = list(result.injection_flags)
        note = f"{counted(len(flags), 'answer turn')} hold verdict-like text or notes aimed at the judge"
        sections.append(Section("answers that talk to the judge", flags, (note,)))
    if result.runs:
        sections.append(Section("runs behind these numbers (latest of each)", run_rows(result.runs)))
    sections += _spend_sections(result)
    if result.notes:
        sections.append(Section("notes", [], result.notes))
    return sections


def markdown_table(rows: Sequence[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(format_cell(k, r.get(k)) for k in keys) + " |" for r in rows]
    return [*lines, ""]


def run_rows(runs: Sequence[RunManifest]) -> list[dict[str, Any]]:
    """One row per run manifest: what ran, when, with what outcome and spend."""
    return [
        {
            "run": m.run_id,
            "kind": m.kind,
            "what": ", ".join(m.models) if m.kind == "answers" else f"{m.judge} ({m.mode})",
            "status": m.status,
            "done": m.done,
            "calls": m.usage.calls,
            "tokens": m.usage.input_tokens + m.usage.output_tokens,
            "cost_usd": m.cost_usd,
            "git": (m.git or {}).get("commit", "")[:10] + ("+dirty" if (m.git or {}).get("dirty") else ""),
        }
        for m in runs
    ]


def render_markdown(result: Report) -> str:
    """The report as Markdown (headings and pipe tables), ready for a PR comment."""
    lines = [f"# judgebench report: {result.bench}", ""]
    lines += [f"> ⚠ {w}" for w in result.warnings] + ([""] if result.warnings else [])
    for section in report_sections(result):
        lines += [f"## {section.title}", "", *markdown_table(section.rows)]
        lines += [*(f"{note}  " for note in section.notes), ""] if section.notes else []
    return "\n".join(lines)


def render_csv(result: Report) -> str:
    """One CSV table: a row per (judge, mode, model), columns the union of fields."""
    rows: list[dict[str, Any]] = []
    for j in result.judges:
        rows += [{"judge": j.judge, "mode": "single", **r} for r in j.single]
        rows += [{"judge": j.judge, "mode": "pairwise", "baseline": j.baseline, **r} for r in j.pairwise]
        rows += [
            {"judge": j.judge, "mode": "pairwise_breakdown", "baseline": j.baseline, **r} for r in j.pairwise_breakdown
        ]
        rows += [{"judge": j.judge, "mode": "pair_score", **r} for r in j.pair_score]
        if j.ratings is not None:
            rows += [{"judge": j.judge, "mode": "ratings", **r} for r in j.ratings["models"]]
        if j.length_control is not None:
            lc = j.length_control
            rows += [
                {"judge": j.judge, "mode": "length_control", "baseline": lc["baseline"], **r} for r in lc["models"]
            ]
    for v in result.vote_ratings:
        rows += [{"judge": f"votes:{v['voters']}", "mode": "ratings", **r} for r in v["models"]]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
