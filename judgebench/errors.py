"""Every error judgebench raises on purpose, under one root.

The CLI catches :class:`JudgebenchError` once, prints its message on one red
line and exits with :attr:`JudgebenchError.exit_code`; anything else is a bug.
Each message names the file and line, or the option, at fault and says the fix.

    JudgebenchError                      exit 1 unless noted
    ├── UsageError                       exit 2: a bad option or argument
    │   ├── UnknownProviderError         `foo/model`: no such provider
    │   └── UnknownQuestionSetError      `--questions NAME`: no such set
    ├── DataError                        a bad input file: cites file:line
    ├── RecordError                      a dict that is no valid record, by field (also a ValueError);
    │                                    readers turn it into a DataError citing file:line
    ├── ConfigError                      the environment is not ready
    │   ├── MissingApiKeyError           an API key variable is unset
    │   └── MissingExtraError            an optional dependency is missing
    ├── ProviderError                    the model server refused the work
    │   ├── ProviderAuthError            the key was rejected (401/403)
    │   └── ServerSetupError             exit 7: every call would fail the same way
    │                                    (refused, name not resolved, TLS, 404, not
    │                                    the API, a feature the run needs is missing)
    ├── ArenaError                       an arena request refused, with its HTTP status
    ├── DownloadError                    `datasets pull` could not fetch/verify
    ├── ResultsError                     the results dir cannot be written
    ├── BudgetReached                    exit 5: --max-cost reached, work saved
    ├── BatchPending                     exit 6: a batch is still running; rerun later
    └── Interrupted                      exit 130: Ctrl-C; finished work is on disk
"""

from __future__ import annotations

__all__ = [
    "ArenaError",
    "BatchPending",
    "BudgetReached",
    "ConfigError",
    "DataError",
    "DownloadError",
    "Interrupted",
    "JudgebenchError",
    "MissingApiKeyError",
    "MissingExtraError",
    "ProviderAuthError",
    "ProviderError",
    "RecordError",
    "ResultsError",
    "ServerSetupError",
    "UnknownProviderError",
    "UnknownQuestionSetError",
    "UsageError",
]


class JudgebenchError(Exception):
    """Root of every error judgebench raises on purpose."""

    exit_code: int = 1


class UsageError(JudgebenchError):
    """An option or argument that cannot work as given."""

    exit_code = 2


class UnknownProviderError(UsageError):
    """A model id whose provider part names no known provider."""


class UnknownQuestionSetError(UsageError):
    """A ``--questions`` value that is neither a file nor a known set."""


class DataError(JudgebenchError):
    """An input file that cannot be read as the data it should hold.

    The message starts with ``path:line:`` so editors can jump to it.
    """

    def __init__(self, path: object, line: int | None, problem: str, fix: str) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {problem} — {fix}")
        self.path = path
        self.line = line


class ConfigError(JudgebenchError):
    """The environment lacks something the command needs."""


class MissingApiKeyError(ConfigError):
    """The environment variable holding an API key is unset or empty."""


class MissingExtraError(ConfigError):
    """An optional dependency is not installed."""


class ProviderError(JudgebenchError):
    """The model server refused the work in a way retrying cannot fix."""


class ProviderAuthError(ProviderError):
    """The server rejected the API key."""


class ServerSetupError(ProviderError):
    """The server cannot do this run's work, so every call would fail the same way.

    Nothing about it is passing: nothing listens at the address (or answers
    the connection), the host or network is unreachable, its host name does
    not resolve, TLS fails, the endpoint is a 404, the replies are not
    the API's, or the API lacks a feature the run needs (a batch API,
    logprobs). Retrying would only wait; the run stops at once, keeping what
    is finished. Raised by the circuit breaker of the retry loop
    (:class:`judgebench.providers.retry.CircuitBreaker`) once the first calls
    of a run, or a streak of calls, fail with the same such cause; a provider
    raises it itself when one reply proves it (a 404, a missing feature).

    Attributes:
        cause: a short name of the cause (``"connection refused"``,
            ``"connection timed out"``, ``"host unreachable"``, ``"host name not resolved"``, ``"TLS failure"``,
            ``"not an API reply"``, ``"endpoint not found"``, ``"feature missing"``).
    """

    exit_code = 7

    def __init__(self, message: str, cause: str = "feature missing") -> None:
        super().__init__(message)
        self.cause = cause

    def __reduce__(self) -> tuple[type[ServerSetupError], tuple[str, str]]:
        """Pickle with its cause (errors cross process boundaries, e.g. from Ray workers)."""
        return (type(self), (str(self), self.cause))


class DownloadError(JudgebenchError):
    """A dataset could not be downloaded or failed its checksum."""


class ResultsError(JudgebenchError):
    """The results directory cannot be written."""


class BudgetReached(JudgebenchError):
    """``--max-cost`` was reached: no new call started; everything finished is saved."""

    exit_code = 5


class BatchPending(JudgebenchError):
    """A submitted batch has not finished within ``--batch-wait``; a later run collects it."""

    exit_code = 6


class RecordError(JudgebenchError, ValueError):
    """A dict that does not describe a valid record; the message names the field.

    Raised by ``from_dict``, which knows the field but not the file: readers catch it and
    raise a :class:`DataError` citing ``file:line``. Also a :class:`ValueError`, as before it
    joined the tree, so readers that catch ``ValueError`` for a bad field catch it too.
    """


class ArenaError(JudgebenchError):
    """A request the arena refuses; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Interrupted(JudgebenchError):
    """Ctrl-C: finished work is on disk."""

    exit_code = 130
