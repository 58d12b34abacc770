"""Recording what a run did: its manifest, written when the run ends however it ends."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from judgebench.errors import BudgetReached
from judgebench.records import RunKind, RunManifest, RunStatus, Usage
from judgebench.storage import QuestionSet, write_manifest

__all__ = [
    "RunTally",
    "comparability_warnings",
    "git_state",
    "latest_runs",
    "question_set_info",
    "recorded_run",
    "spend_totals",
]


def git_state(cwd: Path | None = None) -> dict[str, Any] | None:
    """``{"commit": sha, "dirty": bool}`` of the git checkout around ``cwd``, or ``None``."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


def question_set_info(qset: QuestionSet) -> dict[str, Any]:
    """Name, path, content hash, size and reference source of a question set."""
    return {
        "name": qset.name,
        "path": str(qset.path),
        "hash": qset.content_hash,
        "questions": len(qset.questions),
        "references": qset.references,
    }


@dataclass
class RunTally:
    """Counters a run fills in while it works."""

    planned: int = 0
    done: int = 0
    failed: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0


@contextmanager
def recorded_run(results_dir: Path, manifest: RunManifest, *, dry_run: bool = False) -> Iterator[RunTally]:
    """Yield a tally to fill in; write the manifest when the block ends, with its outcome.

    Nothing is written for a dry run, nor when the run failed before any call
    was planned (bad input leaves the results tree as it was).
    """
    tally = RunTally()
    started = time.time()
    status: RunStatus = "complete"
    try:
        yield tally
    except BudgetReached:
        status = "budget"
        raise
    except (KeyboardInterrupt, GeneratorExit):
        status = "interrupted"
        raise
    except BaseException:
        status = "error"
        raise
    finally:
        if status == "complete" and tally.failed:
            status = "failures"
        if not dry_run and (tally.planned or tally.done):
            write_manifest(
                results_dir,
                replace(
                    manifest,
                    run_id=manifest.run_id,
                    started=started,
                    finished=time.time(),
                    status=status,
                    planned=tally.planned,
                    done=tally.done,
                    failed=tally.failed,
                    usage=tally.usage,
                    cost_usd=tally.cost_usd,
                ),
            )


def new_run_id(kind: RunKind) -> str:
    """``20261123T051500Z-answers-3f9a1c``: sortable, unique."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{kind}-{secrets.token_hex(3)}"


def latest_runs(manifests: Sequence[RunManifest]) -> list[RunManifest]:
    """The last run of each kind for each answering model (answers) or judge and mode (judge)."""
    latest: dict[tuple[str, ...], RunManifest] = {}
    for m in sorted(manifests, key=lambda m: (m.started, m.run_id)):
        key = ("answers", *m.models) if m.kind == "answers" else ("judge", m.judge or "", m.mode or "")
        latest[key] = m
    return list(latest.values())


def spend_totals(manifests: Sequence[RunManifest]) -> list[dict[str, Any]]:
    """Calls, tokens and dollars summed over **every** run, per answering model and per judge and mode.

    Returns:
        rows ``{"kind", "who", "runs", "calls", "input_tokens", "output_tokens", "cost_usd",
        "unpriced_runs"}``, answers first then judges, by name; ``cost_usd`` sums the runs
        with a known price (``None`` when none had one) and ``unpriced_runs`` counts the others.

    >>> u = Usage(calls=2, input_tokens=10, output_tokens=5)
    >>> runs = [RunManifest(run_id=str(i), kind="judge", bench="b", question_set={}, judge="j", mode="single",
    ...                     usage=u, cost_usd=c) for i, c in enumerate([0.5, 0.25, None])]
    >>> spend_totals(runs)  # doctest: +NORMALIZE_WHITESPACE
    [{'kind': 'judge', 'who': 'j (single)', 'runs': 3, 'calls': 6, 'input_tokens': 30, 'output_tokens': 15,
      'cost_usd': 0.75, 'unpriced_runs': 1}]
    """
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for m in manifests:
        who = ", ".join(m.models) if m.kind == "answers" else f"{m.judge} ({m.mode})"
        row = rows.setdefault(
            (m.kind, who),
            {"kind": m.kind, "who": who, "runs": 0, "calls": 0, "input_tokens": 0, "output_tokens": 0,
             "cost_usd": None, "unpriced_runs": 0},
        )  # fmt: skip
        row["runs"] += 1
        row["calls"] += m.usage.calls
        row["input_tokens"] += m.usage.input_tokens
        row["output_tokens"] += m.usage.output_tokens
        if m.cost_usd is None:
            row["unpriced_runs"] += 1
        else:
            row["cost_usd"] = (row["cost_usd"] or 0.0) + m.cost_usd
    return [rows[k] for k in sorted(rows, key=lambda k: (k[0] != "answers", k))]


def comparability_warnings(base: Sequence[RunManifest], other: Sequence[RunManifest] = ()) -> list[str]:
    """Reasons the numbers of these runs should not be set side by side.

    With one list: do the latest runs within it agree (same question set for
    every model, one wording per prompt name for each judge)? With two (a base
    and a candidate): do the candidate's latest runs match the base's?

    >>> a = RunManifest(run_id="1", kind="judge", bench="b", question_set={"hash": "q1"}, judge="j",
    ...                 prompts={"p": "h1"})
    >>> b = RunManifest(run_id="2", kind="judge", bench="b", question_set={"hash": "q2"}, judge="k",
    ...                 prompts={"p": "h2"})
    >>> comparability_warnings([a], [b])  # doctest: +NORMALIZE_WHITESPACE
    ['the question sets differ (q1 vs q2)', 'the judges differ (j vs k)',
     "judge prompt 'p' differs (h1 vs h2)"]
    """
    warnings: list[str] = []
    left, right = latest_runs(base), latest_runs(other) if other else []

    def values(runs: Sequence[RunManifest], get: Callable[[RunManifest], str | None]) -> list[str]:
        return sorted({v for v in (get(m) for m in runs) if v})

    if not other:
        hashes = values(left, lambda m: m.question_set.get("hash"))
        if len(hashes) > 1:
            warnings.append(f"runs used different versions of the question set ({', '.join(hashes)})")
        by_prompt: dict[tuple[str, str], set[str]] = {}
        for m in left:
            for name, digest in m.prompts.items():
                by_prompt.setdefault((m.judge or "", name), set()).add(digest)
        warnings += [
            f"judge {judge}'s prompt {name!r} had different wordings across runs"
            for (judge, name), digests in sorted(by_prompt.items())
            if len(digests) > 1
        ]
        return warnings
    for what, get in (
        ("question sets", lambda m: m.question_set.get("hash")),
        ("judges", lambda m: m.judge if m.kind == "judge" else None),
    ):
        mine, theirs = values(left, get), values(right, get)
        if mine and theirs and mine != theirs:
            warnings.append(f"the {what} differ ({', '.join(mine)} vs {', '.join(theirs)})")
    prompts_left = {n: h for m in left for n, h in m.prompts.items()}
    prompts_right = {n: h for m in right for n, h in m.prompts.items()}
    warnings += [
        f"judge prompt {name!r} differs ({prompts_left[name]} vs {prompts_right[name]})"
        for name in sorted(set(prompts_left) & set(prompts_right))
        if prompts_left[name] != prompts_right[name]
    ]
    return warnings
