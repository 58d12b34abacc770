"""The micro-batcher: concurrent calls become batches, grouped, length-sorted, failures shared."""

from __future__ import annotations

import asyncio

import pytest

from judgebench.providers.batching import MicroBatcher


def run_batches(
    requests: list[tuple[str, int, object]], max_batch: int, fail: bool = False
) -> tuple[list[object], list[list[str]]]:
    seen: list[list[str]] = []

    def work(batch: list[str]) -> list[str]:
        seen.append(batch)
        if fail:
            raise RuntimeError("engine broke")
        return [r.upper() for r in batch]

    async def go() -> list[object]:
        batcher: MicroBatcher[str, str] = MicroBatcher(work, max_batch=max_batch)
        try:
            calls = (batcher.submit(r, size=size, group=group) for r, size, group in requests)
            return list(await asyncio.gather(*calls, return_exceptions=True))
        finally:
            await batcher.aclose()

    return asyncio.run(go()), seen


def test_concurrent_calls_share_length_sorted_batches() -> None:
    requests = [(f"r{i}", size, "g") for i, size in enumerate([50, 10, 40, 20, 30])]
    results, seen = run_batches(requests, max_batch=3)
    assert results == ["R0", "R1", "R2", "R3", "R4"]
    assert seen == [["r1", "r3", "r4"], ["r2", "r0"]]


def test_groups_never_share_a_batch() -> None:
    _, seen = run_batches([("a1", 1, "x"), ("b1", 1, "y"), ("a2", 2, "x"), ("b2", 2, "y")], max_batch=8)
    assert seen == [["a1", "a2"], ["b1", "b2"]]


def test_a_failing_batch_fails_each_of_its_calls() -> None:
    results, _ = run_batches([("a", 1, None), ("b", 2, None)], max_batch=8, fail=True)
    assert all(isinstance(r, RuntimeError) for r in results)


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MicroBatcher(list, max_batch=0)
