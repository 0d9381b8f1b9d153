"""The published marts as BI tools find them: SQLAlchemy's inspector through duckdb-engine (what
Superset, Metabase's and notebooks' SQL layers call) lists schema `marts`, its nine tables and
every column's dbt description; the DuckDB 1.5 shell reads them by their documented names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy
from pipeline_runs import reference_home

from ccpipe.relations import mart_relations

from conftest import BI_MARTS


def test_sqlalchemy_lists_the_marts_their_columns_and_descriptions() -> None:
    paths = reference_home()
    engine = sqlalchemy.create_engine(
        f"duckdb:///{paths.published_db}", connect_args={"read_only": True}
    )
    try:
        inspector = sqlalchemy.inspect(engine)
        # duckdb-engine names a schema by catalog and schema: the file's catalog is `ccpipe`
        assert {"ccpipe.marts", "ccpipe.meta"} <= set(inspector.get_schema_names())
        assert sorted(inspector.get_table_names(schema="marts")) == sorted(BI_MARTS)
        documented = {m.identifier: m for m in mart_relations(paths)}
        for table in BI_MARTS:
            comment = inspector.get_table_comment(table, schema="marts")["text"]
            assert comment == documented[table].description, table
            columns = {c["name"]: c.get("comment") for c in inspector.get_columns(table, "marts")}
            assert columns == dict(documented[table].columns), table
            assert all(columns.values()), table
        with engine.connect() as bi:
            grains = {
                table: list(grain)
                for table, grain in bi.execute(
                    sqlalchemy.text("select table_name, grain from meta.marts")
                ).fetchall()
            }
            # (duckdb-engine's get_pk_constraint fails on DuckDB's pg_catalog; ask DuckDB)
            keys = {
                table: list(columns)
                for table, columns in bi.execute(
                    sqlalchemy.text(
                        "select table_name, constraint_column_names from duckdb_constraints() "
                        "where schema_name = 'marts' and constraint_type = 'PRIMARY KEY'"
                    )
                ).fetchall()
            }
    finally:
        engine.dispose()
    assert grains["kpi_daily_by_queue"] == ["reporting_date", "channel", "queue"]
    assert grains["fct_contacts"] == ["contact_type", "contact_id"]
    # every date-grained mart declares its grain as primary key; the two fact tables do not
    assert keys == {
        m.identifier: list(m.grain) for m in mart_relations(paths) if not m.model.startswith("fct_")
    }
    assert keys["kpi_daily_by_queue"] == ["reporting_date", "channel", "queue"]


def test_the_duckdb_1_5_shell_queries_the_marts_by_their_documented_names() -> None:
    paths = reference_home()
    shell = Path(sys.executable).with_name("duckdb")
    query = (
        "select count(*) from marts.kpi_daily; "
        "select count(*) from ccpipe.marts.kpi_daily where is_date_loaded; "
        "select version();"
    )
    answer = subprocess.run(
        [str(shell), "-readonly", "-noheader", "-list", str(paths.published_db), "-c", query],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stderr
    total, loaded, version = answer.stdout.split()
    assert int(total) >= int(loaded) == 2  # the two loaded dates; the rest arrived late
    assert version == "v1.5.6"
