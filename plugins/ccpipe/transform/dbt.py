"""dbt run in-process against one home: its folders, the run values it reads, its failures."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ccpipe.paths import Paths, project_dir
from ccpipe.relations import dbt_target_dir, relation_of_node
from ccpipe.settings import MEMORY_LIMIT_ENV, Settings
from ccpipe.warehouse import connect, memory_limit, release_dbt_connections

# The run values and the environment variables dbt reads them from (macro run_value, only
# when nodes run). Not --vars: vars that change every run make dbt parse the whole project
# (~3 s); these leave its parse of the project reusable from one date to the next.
RUN_VALUE_ENV = {"load_date": "CCPIPE_LOAD_DATE", "as_of": "CCPIPE_AS_OF"}
# The secret of the keyed hash of phone numbers: an environment variable whose value dbt
# scrubs from its logs and allows only in profiles.yml (never --vars, which dbt records).
PHONE_HASH_KEY_ENV = "DBT_ENV_SECRET_CCPIPE_PHONE_HASH_KEY"


class TransformError(RuntimeError):
    """The dbt build failed: the message names each failing node and its error. A failed data
    test also shows a few of the rows that break it (`details`, after the first line, which is
    the `reason` a person reads first)."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__("\n".join([message, *details]))
        if details:
            self.reason = message
        self.details = list(details)


def dbt_dirs(paths: Paths) -> dict[str, Path]:
    """dbt's target and log folders, under CCPIPE_HOME so parallel homes never collide."""
    return {"target": dbt_target_dir(paths), "logs": paths.home / "dbt" / "logs"}


def as_of_text(as_of: datetime) -> str:
    """The as_of var as an ISO-8601 UTC instant (a naive datetime is refused, not guessed)."""
    if as_of.tzinfo is None:
        raise ValueError(f"as_of {as_of!r} has no UTC offset")
    return as_of.astimezone(UTC).isoformat()


@contextmanager
def dbt_env(
    paths: Paths, run_values: dict[str, str | None], phone_hash_key: str = ""
) -> Iterator[None]:
    """For one dbt call: profiles.yml pointed at this home's working warehouse and the load's
    memory budget, the run values (an absent one set empty, so none leaks in from the
    calling process) and the phone hash's secret."""
    unknown = set(run_values) - set(RUN_VALUE_ENV)
    if unknown:
        raise ValueError(f"unknown run value(s) {sorted(unknown)}; known: {list(RUN_VALUE_ENV)}")
    values = {
        "CCPIPE_HOME": str(paths.home),
        "CCPIPE_WORK_DB": str(paths.work_db),
        MEMORY_LIMIT_ENV: memory_limit(),
    } | {env: run_values.get(name) or "" for name, env in RUN_VALUE_ENV.items()}
    values[PHONE_HASH_KEY_ENV] = phone_hash_key
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def invoke_dbt(
    paths: Paths,
    args: Sequence[str],
    run_values: dict[str, str | None] | None = None,
    settings: Settings | None = None,
) -> Any:
    """Run one dbt command in-process against this home with these run values (load_date,
    as_of) and the deployment's settings as vars (none: the project's own defaults); return
    dbt's result object. The settings change rarely, so passing them as vars leaves dbt's
    parse of the project reusable; the run values change every day and go by environment."""
    from dbt.cli.main import dbtRunner  # heavy import, only when dbt actually runs

    dirs = dbt_dirs(paths)
    for folder in dirs.values():
        folder.mkdir(parents=True, exist_ok=True)
    project = project_dir()
    cli_args = [
        *args,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(dirs["target"]),
        "--log-path",
        str(dirs["logs"]),
        # stdout: warnings and errors only; the full log is in $CCPIPE_HOME/dbt/logs/dbt.log
        "--log-level",
        "warn",
        "--log-level-file",
        "debug",
    ]
    if settings is not None:
        cli_args += ["--vars", json.dumps(settings.dbt_vars(), sort_keys=True)]
    secret = settings.phone_hash_key if settings is not None else ""
    with dbt_env(paths, run_values or {}, secret):
        try:
            return dbtRunner().invoke(cli_args)
        finally:
            release_dbt_connections()


FAILING_ROWS = 5  # rows shown per failed data test


def failed_nodes(result: Any) -> list[Any]:
    """The node results of a dbt result that failed or errored."""
    return [
        node_result
        for node_result in getattr(result.result, "results", None) or []
        if str(getattr(node_result.status, "value", node_result.status))
        in {"error", "fail", "runtime error"}
    ]


def node_line(node_result: Any) -> str:
    node = getattr(node_result, "node", None)
    name = getattr(node, "unique_id", None) or getattr(node, "name", "?")
    return f"{name}: {' '.join(str(node_result.message or node_result.status).split())}"


def value_text(value: Any) -> str:
    if value is None:
        return "null"
    return repr(value) if isinstance(value, str) else str(value)


def rows_failing_test(paths: Paths, node_result: Any) -> list[str]:
    """A few rows a failed data test found, read again with its own compiled SQL: the tested
    model's grain key and the columns the test judges, when it returns whole rows."""
    node = getattr(node_result, "node", None)
    sql = getattr(node, "compiled_code", None)
    if getattr(node, "resource_type", None) != "test" or not sql:
        return []
    tested = relation_of_node(paths, getattr(node, "attached_node", None) or "")
    kwargs = getattr(getattr(node, "test_metadata", None), "kwargs", {}) or {}
    judged = [node.column_name, kwargs.get("other_column")] if node.column_name else []
    wanted = [*(tested.grain if tested else ()), *(c for c in judged if c)]
    with connect(paths.work_db, read_only=True) as con:
        cursor = con.execute(f"select * from ({sql}) as failing limit {FAILING_ROWS}")
        names = [d[0] for d in cursor.description]
        shown = [n for n in dict.fromkeys(wanted) if n in names] or names
        return [
            ", ".join(f"{n}={value_text(row[names.index(n)])}" for n in shown)
            for row in cursor.fetchall()
        ]


def raise_for_result(result: Any, what: str, paths: Paths | None = None) -> None:
    if result.success:
        return
    failed = failed_nodes(result)
    lines = [node_line(n) for n in failed]
    if not lines and result.exception is not None:
        lines = [f"{type(result.exception).__name__}: {result.exception}"]
    detail = "; ".join(lines) if lines else "dbt reported failure without a node (see dbt log)"
    details = []
    for node_result in failed if paths is not None else []:
        rows = rows_failing_test(paths, node_result)
        if rows:
            details.append(f"  {node_line(node_result)}")
            details += [f"    failing row: {row}" for row in rows]
    raise TransformError(f"{what} failed: {detail}", details)
