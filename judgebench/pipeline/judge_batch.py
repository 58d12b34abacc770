"""``judge --batch``: the same judgments through the vendor's batch API, at half price.

The calls a run still needs go out as one batch; its id and the resume keys it
carries are journaled in ``results/<bench>/batches/<judge-slug>_<mode>.jsonl``
the moment the vendor accepts it, so a crash, a Ctrl-C or ``--batch-wait``
running out never submits (and pays for) the same work twice: the next run
collects the pending batch first and submits only what no batch covers. When a
batch is done each result is parsed and stored as in a direct run, except that
an unreadable verdict is not re-asked (a batch has no conversation to
continue): it is stored as ``unparsed`` with its text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from judgebench.errors import BatchPending
from judgebench.judging import parse_score, parse_winner
from judgebench.pipeline.judge_plan import JudgeWork, Verdict
from judgebench.providers import BatchProvider, BatchRequest, Decoding
from judgebench.records import Usage
from judgebench.storage import JsonlAppender, model_slug, read_jsonl

if TYPE_CHECKING:
    from judgebench.pipeline.judge import _JudgeRunner

__all__ = ["BATCH_SCHEMA", "batches_path", "judge_in_batches"]

BATCH_SCHEMA = "judgebench.batch/1"


def batches_path(judgments: Path, judge: str, mode: str) -> Path:
    """``results/<bench>/batches/<judge-slug>_<mode>.jsonl``, beside the judgments folder."""
    return judgments.parent.parent / "batches" / f"{model_slug(judge)}_{mode}.jsonl"


def _pending(path: Path) -> list[tuple[str, list[str]]]:
    """Batches submitted and not yet collected, oldest first."""
    if not path.exists():
        return []
    submitted: dict[str, list[str]] = {}
    for _, entry in read_jsonl(path, torn_tail_ok=True):
        if entry.get("event") == "submitted":
            submitted[str(entry["batch_id"])] = [str(k) for k in entry.get("keys", [])]
        elif entry.get("event") == "collected":
            submitted.pop(str(entry["batch_id"]), None)
    return list(submitted.items())


def _verdict(item: JudgeWork, text: str) -> Verdict | None:
    return parse_score(text) if item.game == 0 else parse_winner(text)


async def _collect(
    runner: _JudgeRunner,
    provider: BatchProvider,
    batch_id: str,
    items: Sequence[JudgeWork],
    out: JsonlAppender,
    journal: JsonlAppender,
) -> None:
    """Wait for a batch, store its results for ``items``, mark it collected."""
    job = runner.job
    deadline = time.monotonic() + job.batch_wait
    while True:
        state = await provider.batch_state(batch_id)
        if state.done or state.failed:
            break
        if time.monotonic() >= deadline:
            raise BatchPending(
                f"batch {batch_id} is still {state.status} after {job.batch_wait:g}s — nothing is lost: rerun the "
                "same command later to collect it (or raise --batch-wait)"
            )
        runner.observer.note(f"batch {batch_id}: {state.status}; next look in {job.batch_poll:g}s")
        await asyncio.sleep(job.batch_poll)
    results = {} if state.failed else await provider.batch_results(batch_id)
    for item in items:
        result = next((results[k] for k in (item.key, *item.legacy_keys) if k in results), None)
        if result is None:
            reason = f"batch {batch_id} ended as {state.status}" if state.failed else "missing from the batch's results"
            runner.record(item, out, text="", verdict=None, attempts=1, spent=Usage(), error=reason)
        elif isinstance(result, str):
            runner.record(item, out, text="", verdict=None, attempts=1, spent=Usage(), error=result)
        else:
            spent = Usage(1, result.input_tokens or 0, result.output_tokens or 0)
            verdict = _verdict(item, result.text)
            runner.record(item, out, text=result.text, verdict=verdict, attempts=1, spent=spent, error=None)
    out.flush()  # the batch's records are on disk before it is marked collected
    journal.append({"schema": BATCH_SCHEMA, "event": "collected", "batch_id": batch_id, "tstamp": time.time()})


def _within_budget(runner: _JudgeRunner, items: Sequence[JudgeWork], decoding: Decoding) -> list[JudgeWork]:
    """The items whose worst-case cost (every reply at ``max_tokens``) fits what is left of ``--max-cost``.

    A batch is billed whole once submitted, so the budget is checked up front.
    """
    budget = runner.budget
    if budget.limit is None:
        return list(items)
    room, chosen = budget.limit - budget.spent, []
    for item in items:
        bound = Usage(1, sum(len(m.content) for m in item.messages) // 4 + 1, decoding.max_tokens)
        room -= budget.cost(bound) or 0.0
        if room < 0:
            runner.stopped = True
            break
        chosen.append(item)
    return chosen


async def judge_in_batches(
    runner: _JudgeRunner,
    provider: BatchProvider,
    decoding: Decoding,
    todo: Sequence[JudgeWork],
    out: JsonlAppender,
    path: Path,
) -> None:
    """Collect pending batches, submit one batch for what is left, collect it."""
    by_key = {k: w for w in todo for k in (*w.legacy_keys, w.key)}  # batches of older versions used legacy keys
    with JsonlAppender(path, warn=runner.observer.note) as journal:
        covered: set[str] = set()
        for batch_id, keys in _pending(path):
            covered.update(keys)
            runner.observer.note(f"collecting batch {batch_id} submitted by an earlier run ({len(keys)} requests)")
            items = list({id(by_key[k]): by_key[k] for k in keys if k in by_key}.values())
            await _collect(runner, provider, batch_id, items, out, journal)
        remaining = [w for w in todo if not covered.intersection((w.key, *w.legacy_keys))]
        if not remaining:
            return
        remaining = _within_budget(runner, remaining, decoding)
        if not remaining:
            runner.stopped = True
            return
        requests = [BatchRequest(w.key, w.messages, decoding) for w in remaining]
        batch_id = await provider.submit_batch(requests)
        journal.append(
            {
                "schema": BATCH_SCHEMA,
                "event": "submitted",
                "batch_id": batch_id,
                "keys": [w.key for w in remaining],
                "tstamp": time.time(),
            }
        )
        runner.observer.note(f"submitted batch {batch_id} ({len(requests)} requests, billed at half price)")
        await _collect(runner, provider, batch_id, remaining, out, journal)
