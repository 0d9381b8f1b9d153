"""A mart's batch for the marts gate: the build compared with what BI reads now.

The marts' own invariants (grain, ranges, orderings) are dbt data tests run by the build; what
only a gate can see is the build beside the publication it would replace. A mart suite's
`published_<column>` columns come from the published file, joined on the grain (a full join,
so a published row that vanished is compared too), and `late_contact_rows` from the dbt model
that counts the late data this load delivered for each reporting date.
"""

from __future__ import annotations

from typing import Any

from ccpipe.paths import Paths
from ccpipe.quality.frames import select_expression
from ccpipe.relations import relation
from ccpipe.suites import suite_columns
from ccpipe.warehouse import Connection, sql_literal, table_columns

PUBLISHED = "published"  # catalog alias of the published file, attached read-only
PUBLISHED_SCHEMA = "marts"  # its schema BI reads
LATE_DATA_MODEL = "int_reporting_dates_late_data"  # reporting_date, late_contact_rows


def attach_published(con: Connection, paths: Paths) -> bool:
    """Attach the published file read-only (BI readers keep reading)."""
    if not paths.published_db.exists():
        return False
    con.execute(f"attach {sql_literal(str(paths.published_db))} as {PUBLISHED} (read_only)")
    return True


def comparison_batch_sql(
    con: Connection, paths: Paths, suite: dict[str, Any], published: bool
) -> tuple[str, str]:
    """SQL for a mart's batch (the built rows beside the published ones and the late data of
    this load) and a description of it."""
    built = relation(paths, suite["meta"]["mart"])
    types = table_columns(con, built.schema, built.identifier)
    grain = suite["meta"]["grain"]
    wanted = list(dict.fromkeys(grain + suite_columns(suite)))
    own = [c for c in wanted if c in types]
    from_published = [c for c in wanted if c.startswith("published_")]
    needed = [c.removeprefix("published_") for c in from_published]
    published_types = (
        table_columns(con, PUBLISHED_SCHEMA, built.identifier, PUBLISHED) if published else {}
    )
    if all(c in published_types for c in grain + needed):
        source = f"{PUBLISHED}.{PUBLISHED_SCHEMA}.{built.identifier}"
        published_sql = f"select {', '.join(grain + needed)} from {source}"
    else:
        published_sql = (
            "select "
            + ", ".join(f"cast(null as {types.get(c, 'varchar')}) as {c}" for c in grain + needed)
            + " where false"
        )
    select = [
        f"coalesce(m.{c}, p.{c}) as {c}" if c in grain else select_expression(c, types[c], "m")
        for c in own
    ]
    for column in from_published:
        original = column.removeprefix("published_")
        if types.get(original) == "BOOLEAN":
            select.append(f"coalesce(p.{original}, false) as {column}")
        else:
            select.append(select_expression(original, types.get(original, ""), "p", column))
    late = ""
    if "late_contact_rows" in wanted:
        late = (
            f" left join {relation(paths, LATE_DATA_MODEL).name} as late"
            " on late.reporting_date = coalesce(m.reporting_date, p.reporting_date)"
        )
        select.append("coalesce(late.late_contact_rows, 0)::bigint as late_contact_rows")
    join = " and ".join(f"m.{c} is not distinct from p.{c}" for c in grain)
    sql = f"""
        with p as ({published_sql})
        select {", ".join(select)}
        from {built.name} as m
        full join p on {join}{late}
        order by {", ".join(f"coalesce(m.{c}, p.{c})" for c in grain)}
    """
    return sql, f"{built.schema}.{built.identifier} vs published"
