"""The Great Expectations suites in expectations/: reading them and naming what they check.

A suite file is the one definition of its rules: ingest compiles its row-level expectations
to SQL (ccpipe.rules) and the quality gates validate batches against it with GX.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ccpipe.paths import project_dir

# Expectations whose columns are keys.
UNIQUENESS_TYPES = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")


def suite_path(name: str) -> Path:
    return project_dir() / "expectations" / f"{name}.json"


def load_suite(name: str) -> dict[str, Any]:
    """The suite as stored: a GX 1.x ExpectationSuite in JSON."""
    return json.loads(suite_path(name).read_text(encoding="utf-8"))


def parameter_names(value: Any) -> list[str]:
    """The $PARAMETER names an expectation's kwargs use."""
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            return [value["$PARAMETER"]]
        return [name for v in value.values() for name in parameter_names(v)]
    if isinstance(value, list):
        return [name for v in value for name in parameter_names(v)]
    return []


def condition_columns(condition: dict[str, Any] | None) -> list[str]:
    if not condition:
        return []
    if condition.get("type") in ("and", "or"):
        return [c for part in condition["conditions"] for c in condition_columns(part)]
    return [condition["column"]["name"]]


def condition_words(condition: dict[str, Any] | None) -> str:
    if not condition:
        return ""
    if condition.get("type") in ("and", "or"):
        joiner = f" {condition['type']} "
        return joiner.join(condition_words(c) for c in condition["conditions"])
    column = condition["column"]["name"]
    if condition["type"] == "nullity":
        return f"{column} is {'null' if condition['is_null'] else 'not null'}"
    return f"{column} {condition['operator']} {condition['parameter']!r}"


def expectation_columns(expectation: dict[str, Any]) -> list[str]:
    """The columns an expectation reads, in order."""
    kwargs = expectation["kwargs"]
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    columns += kwargs.get("column_list", [])
    if expectation["type"] == "expect_table_columns_to_match_set":
        columns += kwargs["column_set"]
    return columns + condition_columns(kwargs.get("row_condition"))


def suite_columns(suite: dict[str, Any]) -> list[str]:
    columns: list[str] = []
    for expectation in suite["expectations"]:
        for column in expectation_columns(expectation):
            if column not in columns:
                columns.append(column)
    return columns


def key_columns(suite: dict[str, Any]) -> set[str]:
    return {
        c
        for e in suite["expectations"]
        if e["type"] in UNIQUENESS_TYPES
        for c in expectation_columns(e)
    }


def expectation_label(expectation: dict[str, Any]) -> str:
    """How a person tells expectations apart: type(columns, $parameters) [when condition]."""
    kwargs = expectation["kwargs"]
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    columns += kwargs.get("column_list", [])
    columns += [f"${name}" for name in parameter_names(kwargs)]
    text = f"{expectation['type']}({', '.join(columns)})" if columns else expectation["type"]
    words = condition_words(kwargs.get("row_condition"))
    return f"{text} when {words}" if words else text


def mart_suite_names() -> list[str]:
    """Every mart suite: one file per mart, because a GX suite validates one batch (table)."""
    folder = project_dir() / "expectations"
    return sorted(p.name.removesuffix(".json") for p in folder.glob("marts.*.json"))
