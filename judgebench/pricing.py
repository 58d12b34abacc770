"""What calls cost: a price table, user-overridable, and a budget that stops a run cleanly.

Prices are US dollars per million tokens, input and output, looked up by the
longest ``provider/model`` prefix (so ``openai/gpt-4o-mini-2024-07-18`` finds
``openai/gpt-4o-mini``). The built-in table holds vendors' published list
prices as we last checked them; they change, so a user's file overrides and
extends it: ``--prices FILE``, else ``$JUDGEBENCH_PRICES``, else
``prices.json`` in the user config dir, each a JSON object
``{"provider/model": {"input": 2.5, "output": 10.0}}``. The ``fake``, ``hf``
and ``local`` providers cost nothing. Batch APIs bill half (``batch=True``).

A model served from ``--base-url`` (vLLM, Ollama, a proxy) is not the vendor's
model whatever it is called: the built-in list prices do not apply to it
(``load_price_table(..., builtin=False)``), only a price the user wrote — so a
local server's ``openai/gpt-4`` is shown unpriced, never at OpenAI's rates.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from judgebench.errors import BudgetReached, DataError, UsageError
from judgebench.records import Usage

__all__ = ["DEFAULT_PRICES", "Budget", "CommandBudget", "Price", "PriceTable", "load_price_table"]


@dataclass(frozen=True)
class Price:
    """US dollars per million input and output tokens."""

    input: float
    output: float

    def cost(self, usage: Usage, *, batch: bool = False) -> float:
        """Dollars for ``usage`` (half for batch APIs).

        >>> Price(2.5, 10.0).cost(Usage(calls=1, input_tokens=1000, output_tokens=500))
        0.0075
        """
        dollars = (usage.input_tokens * self.input + usage.output_tokens * self.output) / 1_000_000
        return dollars / 2 if batch else dollars


FREE = Price(0.0, 0.0)

DEFAULT_PRICES: Mapping[str, Price] = {
    # OpenAI list prices (USD per 1M tokens, standard tier)
    "openai/gpt-4o-mini": Price(0.15, 0.60),
    "openai/gpt-4o": Price(2.50, 10.00),
    "openai/gpt-4.1-nano": Price(0.10, 0.40),
    "openai/gpt-4.1-mini": Price(0.40, 1.60),
    "openai/gpt-4.1": Price(2.00, 8.00),
    "openai/gpt-4-turbo": Price(10.00, 30.00),
    "openai/gpt-4": Price(30.00, 60.00),
    "openai/gpt-3.5-turbo": Price(0.50, 1.50),
    "openai/o3-mini": Price(1.10, 4.40),
    "openai/o4-mini": Price(1.10, 4.40),
    "openai/o3": Price(2.00, 8.00),
    # Anthropic list prices
    "anthropic/claude-3-5-haiku": Price(0.80, 4.00),
    "anthropic/claude-haiku-4-5": Price(1.00, 5.00),
    "anthropic/claude-3-5-sonnet": Price(3.00, 15.00),
    "anthropic/claude-3-7-sonnet": Price(3.00, 15.00),
    "anthropic/claude-sonnet-4": Price(3.00, 15.00),
    "anthropic/claude-opus-4": Price(15.00, 75.00),
    "anthropic/claude-opus-4-1": Price(15.00, 75.00),
}

_FREE_PROVIDERS = ("fake/", "hf/", "local/")


@dataclass(frozen=True)
class PriceTable:
    """Prices by model id prefix."""

    prices: Mapping[str, Price]

    def price(self, model: str) -> Price | None:
        """The price of ``model``, or ``None`` if unknown.

        >>> table = PriceTable(DEFAULT_PRICES)
        >>> table.price("openai/gpt-4o-mini-2024-07-18")
        Price(input=0.15, output=0.6)
        >>> table.price("fake/x"), table.price("openai/unknown-model")
        (Price(input=0.0, output=0.0), None)
        """
        if model.startswith(_FREE_PROVIDERS):
            return FREE
        matches = [key for key in self.prices if model == key or model.startswith(key)]
        return self.prices[max(matches, key=len)] if matches else None

    def cost(self, model: str, usage: Usage, *, batch: bool = False) -> float | None:
        """Dollars for ``usage`` of ``model``, ``None`` if its price is unknown."""
        price = self.price(model)
        return None if price is None else price.cost(usage, batch=batch)


def load_price_table(path: Path | None = None, *, builtin: bool = True) -> PriceTable:
    """The built-in prices, overridden by a user file (see module docs).

    Args:
        path: the user's price file (default: ``$JUDGEBENCH_PRICES``, else the config dir's).
        builtin: include the built-in vendor list prices; ``False`` for a model
            served from ``--base-url`` (only the user's prices apply).

    Raises:
        DataError: the file is not a JSON object of ``{"input": x, "output": y}`` prices.
    """
    if path is None:
        env = os.environ.get("JUDGEBENCH_PRICES")
        if env:
            path = Path(env)
        else:
            from platformdirs import user_config_dir

            candidate = Path(user_config_dir("judgebench", appauthor=False)) / "prices.json"
            path = candidate if candidate.is_file() else None
    prices = dict(DEFAULT_PRICES) if builtin else {}
    layout = 'write {"provider/model": {"input": <$ per 1M tokens>, "output": <$ per 1M tokens>}}'
    if path is None:
        return PriceTable(prices)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(path, None, "file not found", "check --prices / $JUDGEBENCH_PRICES") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            path, None, f"not a JSON price table ({exc})", 'write {"provider/model": {"input": 2.5, "output": 10}}'
        ) from None
    if not isinstance(raw, dict):
        raise DataError(path, None, "expected a JSON object", layout)
    for model, entry in raw.items():
        ok = isinstance(entry, dict) and all(
            isinstance(entry.get(k), int | float) and not isinstance(entry.get(k), bool) and entry[k] >= 0
            for k in ("input", "output")
        )
        if not ok:
            raise DataError(
                path, None, f"price of {model!r} is not {{'input': $, 'output': $}} per 1M tokens", "fix it"
            )
        prices[model] = Price(float(entry["input"]), float(entry["output"]))
    return PriceTable(prices)


class Budget:
    """Spend so far against an optional ceiling; calls check it before they start.

    Calls already in flight when the ceiling is reached are finished and saved,
    so a run can overshoot by what those calls cost.
    """

    def __init__(self, model: str, table: PriceTable, limit: float | None, *, batch: bool = False) -> None:
        self.model = model
        self.price = table.price(model)
        self.limit = limit
        self.batch = batch
        self.spent = 0.0
        if limit is not None and self.price is None:
            raise UsageError(
                f"--max-cost: no price known for {model} — add it to a prices file (--prices FILE, "
                '{"' + model + '": {"input": <$ per 1M>, "output": <$ per 1M>}})'
            )

    @property
    def exhausted(self) -> bool:
        """Whether no new call may start."""
        return self.limit is not None and self.spent >= self.limit

    def add(self, usage: Usage) -> None:
        """Count a finished call's usage."""
        if self.price is not None:
            self.spent += self.price.cost(usage, batch=self.batch)

    def cost(self, usage: Usage) -> float | None:
        """Dollars for ``usage``, ``None`` if the price is unknown."""
        return None if self.price is None else self.price.cost(usage, batch=self.batch)


class CommandBudget:
    """One ``--max-cost`` shared by every step of a command (``run``: each model's answers, then judging).

    Each step gets what the steps before it left (:meth:`left`) as its own
    ceiling and reports what it spent (:meth:`spend`).

    >>> b = CommandBudget(5.0)
    >>> b.left("answers of a")
    5.0
    >>> b.spend(3.5); b.left("answers of b")
    1.5
    >>> b.spend(1.5); b.left("judging")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    judgebench.errors.BudgetReached: --max-cost $5.00 reached (spent $5.0000) before judging — rerun ...
    """

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0

    def left(self, step: str) -> float | None:
        """The ceiling of the next step, ``None`` without a limit.

        Raises:
            BudgetReached: nothing is left for ``step``.
        """
        if self.limit is None:
            return None
        room = self.limit - self.spent
        if room <= 0:
            raise BudgetReached(
                f"--max-cost ${self.limit:.2f} reached (spent ${self.spent:.4f}) before {step} — rerun with a "
                "higher --max-cost to resume"
            )
        return room

    def spend(self, dollars: float | None) -> None:
        """Count what a finished step spent (``None``: a free or unpriced model)."""
        self.spent += dollars or 0.0
