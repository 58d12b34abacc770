"""How long a server asked us to wait: its ``Retry-After`` / ``retry-after-ms`` headers, in seconds."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["retry_after_from_headers"]


def retry_after_from_headers(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds a server asked us to wait, read from its response headers.

    ``retry-after-ms`` (milliseconds, sent by OpenAI and Anthropic) wins over
    the standard ``Retry-After``, which is either seconds (integer or decimal)
    or an HTTP date. Header names match in any case. A date in the past means
    no wait; a value that is missing, negative or unreadable gives ``None``.

    Args:
        headers: the response headers (any mapping; ``httpx`` headers work).
        now: the current time, for HTTP dates (tests pin it).

    >>> retry_after_from_headers({"Retry-After": "2"})
    2.0
    >>> retry_after_from_headers({"retry-after": "0.5"})
    0.5
    >>> retry_after_from_headers({"Retry-After": "9", "Retry-After-Ms": "1500"})
    1.5
    >>> retry_after_from_headers({"retry-after-ms": "soon", "retry-after": "3"})
    3.0
    >>> t0 = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    >>> retry_after_from_headers({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, now=t0)
    30.0
    >>> retry_after_from_headers({"Retry-After": "Wed, 21 Oct 2015 07:27:00 GMT"}, now=t0)
    0.0
    >>> [retry_after_from_headers(h) for h in ({}, {"Retry-After": "later"}, {"Retry-After": "-1"})]
    [None, None, None]
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    millis = _seconds(lowered.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    value = lowered.get("retry-after")
    seconds = _seconds(value)
    if seconds is not None or value is None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; an unzoned one is read as such
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _seconds(value: str | None) -> float | None:
    """A finite, non-negative number of seconds, or ``None``."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None
