"""Row rules: the feed suites in expectations/ compiled to SQL.

The Great Expectations suite of a feed is the one definition of its rules. Ingest uses the
row-level expectations compiled here to quarantine rows one by one (in DuckDB, no Python row
loops); the quality gate validates each batch against the very same suite files with GX.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ccpipe.suites import load_suite
from ccpipe.warehouse.sql import sql_literal, sql_text


@dataclass(frozen=True)
class RowRule:
    """One row-level expectation as SQL: `violated` is true for a row that breaks it."""

    rule: str
    column: str
    violated: str
    reason: str  # a SQL expression yielding the message a person reads


def condition_sql(condition: dict[str, Any] | None) -> tuple[str, str]:
    """A GX structured row_condition as (SQL predicate, words for the reason)."""
    if not condition:
        return "true", ""
    kind = condition["type"]
    if kind == "nullity":
        column = condition["column"]["name"]
        if condition["is_null"]:
            return f"{column} is null", f" when {column} is empty"
        return f"{column} is not null", f" when {column} is set"
    if kind == "comparison":
        column = condition["column"]["name"]
        operator, parameter = condition["operator"], condition["parameter"]
        if operator in ("IN", "NOT_IN"):
            values = ", ".join(sql_literal(v) for v in parameter)
            negation = "not " if operator == "NOT_IN" else ""
            words = "/".join(str(v) for v in parameter)
            return f"{column} {negation}in ({values})", f" when {column} is {negation}{words}"
        sql_operator = "=" if operator == "==" else operator
        return (
            f"{column} {sql_operator} {sql_literal(parameter)}",
            f" when {column} {operator} {parameter}",
        )
    if kind == "and":
        parts = [condition_sql(c) for c in condition["conditions"]]
        return " and ".join(f"({p})" for p, _ in parts), "".join(w for _, w in parts)
    raise ValueError(f"row_condition type {kind!r} is not supported by the row-rule compiler")


def compile_expectation(expectation: dict[str, Any]) -> RowRule | None:
    """The SQL for one expectation, or None when it judges the batch rather than a row."""
    kind = expectation["type"]
    kwargs = expectation["kwargs"]
    when, when_words = condition_sql(kwargs.get("row_condition"))

    if kind == "expect_column_values_to_not_be_null":
        column = kwargs["column"]
        return RowRule(
            rule=f"{kind}({column})",
            column=column,
            violated=f"({when}) and {column} is null",
            reason=sql_literal(f"{column} is required{when_words}"),
        )
    if kind == "expect_column_values_to_be_in_set":
        column = kwargs["column"]
        allowed = kwargs["value_set"]
        values = ", ".join(sql_literal(v) for v in allowed)
        words = ", ".join(str(v) for v in allowed)
        return RowRule(
            rule=f"{kind}({column})",
            column=column,
            violated=f"({when}) and {column} is not null and {column} not in ({values})",
            reason=(
                f"'{column} ' || {sql_text(column)} || "
                f"{sql_literal(f' is not one of {words}{when_words}')}"
            ),
        )
    if kind == "expect_column_values_to_be_between":
        column = kwargs["column"]
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        checks, words = [], []
        if low is not None:
            checks.append(f"{column} < {sql_literal(low)}")
            words.append(f"at least {low}")
        if high is not None:
            checks.append(f"{column} > {sql_literal(high)}")
            words.append(f"at most {high}")
        return RowRule(
            rule=f"{kind}({column})",
            column=column,
            violated=f"({when}) and {column} is not null and ({' or '.join(checks)})",
            reason=(
                f"'{column} ' || {sql_text(column)} || "
                f"{sql_literal(' must be ' + ' and '.join(words) + when_words)}"
            ),
        )
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kwargs["column_A"], kwargs["column_B"]
        if kwargs.get("ignore_row_if") != "either_value_is_missing":
            raise ValueError(f"{kind}({a}, {b}) must set ignore_row_if: either_value_is_missing")
        operator, words = (">=", "at or after") if kwargs.get("or_equal") else (">", "after")
        return RowRule(
            rule=f"{kind}({a}, {b})",
            column=a,
            violated=(
                f"({when}) and {a} is not null and {b} is not null and not ({a} {operator} {b})"
            ),
            reason=(
                f"'{a} ' || {sql_text(a)} || ' must be {words} {b} ' || {sql_text(b)}"
                f" || {sql_literal(when_words)}"
            ),
        )
    if kind in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        columns = kwargs.get("column_list") or [kwargs["column"]]
        keys = ", ".join(columns)
        present = " and ".join(f"{c} is not null" for c in columns)
        window = f"over (partition by {keys} order by _source_file, _source_line)"
        return RowRule(
            rule=f"{kind}({keys})",
            column=keys,
            violated=f"({when}) and {present} and row_number() {window} > 1",
            reason=(
                f"'duplicate key ({keys}) within the load; first seen in ' || "
                f"first_value(_source_file || ' line ' || _source_line) {window}"
            ),
        )
    return None


def row_rules(suite_name: str) -> list[RowRule]:
    """Every row-level rule of a suite, in the suite's order."""
    compiled = (compile_expectation(e) for e in load_suite(suite_name)["expectations"])
    return [rule for rule in compiled if rule is not None]
