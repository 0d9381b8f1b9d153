"""Which task failures are worth a retry: transient faults yes, bad input and failed gates no.

A DuckDB lock conflict (another process holds the file), a timeout or a dropped connection
passes with time: retry, with the task's exponential backoff. A failed quality gate, an
unreadable file or a failed dbt test gives the same answer on every try: fail at once, so the
failure callback reports it now instead of after an hour of backoff. Exceptions are matched by
their class's qualified name, so the DAG file imports nothing heavy to use this policy.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import RetryDecision, RetryPolicy

# DuckDB's message when another process holds the database file.
LOCK_CONFLICT = "Could not set lock on file"
TRANSIENT = {
    "ccpipe.home.HomeBusyError",
    "builtins.TimeoutError",
    "builtins.ConnectionError",
    "urllib.error.URLError",
    "socket.timeout",
}
PERMANENT = {
    "ccpipe.quality.report.GateError",
    "ccpipe.ingest.files.IngestError",
    "ccpipe.transform.dbt.TransformError",
    "ccpipe.publication.publish.PublishError",
    "ccpipe.home.HomeError",
    "ccpipe.pipeline.SettingsChangedError",
    "builtins.ValueError",
    "builtins.KeyError",
    "builtins.FileNotFoundError",
}


def qualified_names(error: BaseException) -> set[str]:
    return {f"{cls.__module__}.{cls.__qualname__}" for cls in type(error).__mro__}


def is_lock_conflict(error: BaseException) -> bool:
    return LOCK_CONFLICT in str(error)


class TransientFaultPolicy(RetryPolicy):
    """Retry transient faults (with the task's backoff); fail deterministic ones at once."""

    def evaluate(
        self,
        exception: BaseException,
        try_number: int,
        max_tries: int,
        context: Any = None,
    ) -> RetryDecision:
        names = qualified_names(exception)
        if is_lock_conflict(exception) or names & TRANSIENT:
            return RetryDecision.retry(reason=f"transient: {type(exception).__name__}")
        if names & PERMANENT:
            return RetryDecision.fail(
                reason=f"{type(exception).__name__} does not go away on retry: fix input or code"
            )
        return RetryDecision.default()
