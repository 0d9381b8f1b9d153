"""dbt: the build of the marts, run in-process against one home."""

from ccpipe.transform.build import build_docs, run_dbt_build
from ccpipe.transform.dbt import TransformError, dbt_dirs, invoke_dbt

__all__ = [
    "TransformError",
    "build_docs",
    "run_dbt_build",
    "dbt_dirs",
    "invoke_dbt",
]
