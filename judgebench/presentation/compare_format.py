"""Writing a ``compare`` result down: the pull-request comment (Markdown) ``gate`` posts."""

from __future__ import annotations

from judgebench.pipeline.compare import Comparison
from judgebench.records import counted

__all__ = ["render_compare_markdown"]


_ICONS = {"pass": "✅ pass", "regression": "❌ regression", "inconclusive": "⚠️ inconclusive"}


def render_compare_markdown(c: Comparison) -> str:
    """A pull-request comment: verdict, per-model deltas, categories, worst questions, warnings."""
    lines = [
        f"## judgebench: {_ICONS[c.verdict]}",
        "",
        f"Bench `{c.bench}`, judge `{c.judge}`; candidate vs base, paired by question, "
        f"{round(c.metrics[0].delta.confidence * 100)} % intervals; fails below a delta of {c.fail_below:+g}.",
        "",
    ]
    lines += [f"> ⚠ not comparable: {w}" for w in c.warnings] + ([""] if c.warnings else [])
    lines += ["| model | metric | base | candidate | delta [interval] | n | verdict |", "|---|---|---|---|---|---|---|"]
    for m in c.metrics:
        d = m.delta
        lines.append(
            f"| {m.model} | {m.metric} | {d.base:.3f} | {d.candidate:.3f} | {d.delta:+.3f} [{d.lo:+.3f}, {d.hi:+.3f}] "
            f"| {d.n} | {_ICONS[m.verdict]} |"
        )
    for m in c.metrics:
        if m.categories:
            lines += ["", f"<details><summary>{m.model} — {m.metric} by category</summary>", ""]
            lines += ["| category | base | candidate | delta [interval] | n |", "|---|---|---|---|---|"]
            lines += [
                f"| {category} | {r.base:.3f} | {r.candidate:.3f} | {r.delta:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}] | {r.n} |"
                for category, r in m.categories.items()
            ]
            lines += ["", "</details>"]
        if m.worst:
            lines += ["", f"<details><summary>{m.model} — questions that got worse ({m.metric})</summary>", ""]
            for w in m.worst:
                lines += [
                    f"- **{w['question_id']}** ({w['category']}): {w['base']:.2f} → {w['candidate']:.2f}",
                    f"  - base: {w['base_judgment']}",
                    f"  - candidate: {w['candidate_judgment']}",
                ]
            lines += ["", "</details>"]
    calls = sum(r.usage.calls for r in c.new_runs)
    dollars = [r.cost_usd for r in c.new_runs]
    cost = f" (${sum(d for d in dollars if d is not None):.4f})" if dollars and None not in dollars else ""
    lines += [
        "",
        f"The candidate's own runs made {counted(calls, 'call')}{cost}; everything else was reused from the base.",
    ]
    return "\n".join(lines) + "\n"
