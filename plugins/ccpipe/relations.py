"""Relation names asked of dbt: its manifest, never typed in Python.

dbt writes target/manifest.json (under the home's dbt folder) on every invocation, so once a
home has built its marts, every model's schema and table name is there. The shape follows
dagster's `get_asset_key_for_model`: ask by model name, get where it lives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ccpipe.paths import Paths
from ccpipe.warehouse import quote_ident

PROJECT = "ccpipe"
MARTS_FOLDER = "marts"  # models/marts/: what BI reads


@dataclass(frozen=True)
class Relation:
    """Where a dbt model lives in the working warehouse."""

    model: str
    schema: str
    identifier: str
    folder: str  # the first folder under models/: staging, intermediate or marts
    grain: tuple[str, ...] = ()  # the columns one row stands for (meta.grain), if declared
    description: str = ""
    columns: tuple[tuple[str, str], ...] = ()  # (column, description) as documented in dbt

    @property
    def name(self) -> str:
        """schema.identifier, as SQL on the working warehouse (or a catalog's prefix) reads it."""
        return f"{quote_ident(self.schema)}.{quote_ident(self.identifier)}"


_CACHE: dict[Path, tuple[float, dict[str, Relation]]] = {}


class MissingManifestError(FileNotFoundError):
    """The home's dbt has not run yet, so nothing says where its models live."""


def dbt_target_dir(paths: Paths) -> Path:
    """dbt's target folder (manifest, compiled SQL, run results) under CCPIPE_HOME."""
    return paths.home / "dbt" / "target"


def manifest_path(paths: Paths) -> Path:
    return dbt_target_dir(paths) / "manifest.json"


def models(paths: Paths) -> dict[str, Relation]:
    """Every model of the project by name, read once per manifest version."""
    path = manifest_path(paths)
    if not path.exists():
        raise MissingManifestError(
            f"{path}: no dbt manifest in this home yet; build the marts first (ccpipe run)"
        )
    stamp = path.stat().st_mtime
    cached = _CACHE.get(path)
    if cached is None or cached[0] != stamp:
        nodes = json.loads(path.read_text(encoding="utf-8"))["nodes"].values()
        found = {
            node["name"]: Relation(
                node["name"],
                node["schema"],
                node["alias"],
                node["fqn"][1],
                tuple(node["config"].get("meta", {}).get("grain", ())),
                one_line(node.get("description", "")),
                tuple((c, one_line(d.get("description", ""))) for c, d in node["columns"].items()),
            )
            for node in nodes
            if node["resource_type"] == "model" and node["package_name"] == PROJECT
        }
        cached = _CACHE[path] = (stamp, found)
    return cached[1]


def one_line(text: str) -> str:
    return " ".join(text.split())


def relation(paths: Paths, model: str) -> Relation:
    """The relation of one model, e.g. relation(paths, "int_reporting_dates_rebuilt")."""
    try:
        return models(paths)[model]
    except KeyError:
        raise KeyError(f"the dbt project has no model {model!r}") from None


def mart_relations(paths: Paths) -> list[Relation]:
    """The marts BI reads (the models under models/marts/), by name."""
    marts = [r for r in models(paths).values() if r.folder == MARTS_FOLDER]
    return sorted(marts, key=lambda r: r.model)


def relation_of_node(paths: Paths, unique_id: str) -> Relation | None:
    """The model a dbt node id (model.ccpipe.<name>) names, if it is one of the project's."""
    return models(paths).get(unique_id.removeprefix(f"model.{PROJECT}."))


def mart_schema(paths: Paths) -> str:
    """The working warehouse's schema of the marts (the models under models/marts/)."""
    schemas = {r.schema for r in mart_relations(paths)}
    if len(schemas) != 1:
        raise ValueError(f"models/{MARTS_FOLDER}/ builds into {sorted(schemas)}, not one schema")
    return schemas.pop()
