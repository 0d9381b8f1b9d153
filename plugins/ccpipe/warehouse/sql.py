"""SQL text built in Python: literals and identifiers quoted the way the warehouse reads them."""

from __future__ import annotations

from typing import Any


def sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_text(expr: str) -> str:
    """A value rendered for a reason message: quoted, or <null>."""
    return f"coalesce('''' || cast({expr} as varchar) || '''', '<null>')"
