"""``run_each``: every item once, in order, ``width`` at a time; the first run-stopping error ends it."""

from __future__ import annotations

import asyncio

import pytest

from judgebench.errors import ProviderError
from judgebench.pipeline.call_runs import run_each


def test_every_item_once_in_order_width_at_a_time() -> None:
    started: list[int] = []
    running = 0
    most = 0

    async def work(item: int) -> None:
        nonlocal running, most
        started.append(item)
        running += 1
        most = max(most, running)
        await asyncio.sleep(0)  # let the other workers start theirs
        await asyncio.sleep(0)
        running -= 1

    asyncio.run(run_each(iter(range(10)), work, 3))  # a one-pass iterator, as generators are
    assert started == list(range(10))
    assert most == 3


def test_more_workers_than_items_and_no_items() -> None:
    done: list[str] = []

    async def work(item: str) -> None:
        done.append(item)

    asyncio.run(run_each(["a", "b"], work, 128))
    asyncio.run(run_each([], work, 8))
    assert done == ["a", "b"]


def test_the_first_run_stopping_error_is_raised_and_no_later_item_starts() -> None:
    started: list[int] = []

    async def work(item: int) -> None:
        started.append(item)
        await asyncio.sleep(0)
        if item == 2:
            raise ProviderError("key rejected")
        await asyncio.sleep(0)

    with pytest.raises(ProviderError, match="key rejected"):
        asyncio.run(run_each(range(20), work, 2))
    assert started == [0, 1, 2, 3]  # item 3 had started beside 2; none after the error
