"""The raw load: one logical date's landing files into typed raw tables.

Everything row-shaped happens in DuckDB: files are read with its CSV and JSON readers
(staging), values typed and judged by SQL compiled from the feed's suite (judging), good rows
go to raw.<table>, bad ones to raw.quarantine with file, line, column and reason. A date's
load runs in one transaction per feed and replaces that date's rows (load), so loading a date
twice equals loading it once.
"""

from ccpipe.ingest.files import IngestError, landing_files
from ccpipe.ingest.load import (
    FeedLoad,
    FileLoad,
    ingest_date,
    latest_loaded_date,
    reload_identity_map,
)

__all__ = [
    "FeedLoad",
    "FileLoad",
    "IngestError",
    "ingest_date",
    "landing_files",
    "latest_loaded_date",
    "reload_identity_map",
]
