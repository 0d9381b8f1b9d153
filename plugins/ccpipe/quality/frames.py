"""Batches as GX reads them fastest: pandas frames built from DuckDB's Arrow output."""

from __future__ import annotations

from typing import Any

INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER"}


def select_expression(column: str, sql_type: str, source: str, alias: str | None = None) -> str:
    """A column as GX compares it fastest: small integers widened to BIGINT (int64)."""
    expr = f"{source}.{column}"
    if sql_type in INTEGER_TYPES:
        expr = f"cast({expr} as bigint)"
    return f"{expr} as {alias or column}"


def arrow_frame(table: Any, keys: set[str]) -> Any:
    """Arrow table -> pandas: strings dictionary-encoded (categorical) unless a key,
    keys Arrow-backed, numbers and timestamps as numpy (GX's vectorised paths)."""
    import pandas as pd
    import pyarrow as pa

    def is_text(kind: Any) -> bool:
        return (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or (hasattr(pa.types, "is_string_view") and pa.types.is_string_view(kind))
        )

    columns = [
        column.dictionary_encode() if is_text(column.type) and name not in keys else column
        for name, column in zip(table.column_names, table.columns, strict=True)
    ]
    table = pa.Table.from_arrays(columns, names=table.column_names)
    return table.to_pandas(types_mapper=lambda kind: pd.ArrowDtype(kind) if is_text(kind) else None)
