"""Landing files: finding a date's files, reading their bytes and header, and refusing a file
that cannot be read (IngestError names it)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import zlib
from pathlib import Path

from ccpipe.contracts import CANONICAL_FORMATS, Feed
from ccpipe.warehouse import WarehouseError, is_resource_failure


class IngestError(Exception):
    """Landing files that cannot be read. `problems` maps each refused file (its path under
    landing/) to what is wrong with it; the message lists them, one `file: problem` each."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{file}: {problem}" for file, problem in problems.items()))
        self.problems = problems

    @classmethod
    def of(cls, file: str, problem: str) -> IngestError:
        return cls({file: problem})


def landing_files(folder: Path, formats: tuple[str, ...] = CANONICAL_FORMATS) -> list[Path]:
    """A landing folder's files of the formats its source reads (Feed.formats)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(formats))


def link_outside_home(path: Path, home: Path) -> Path | None:
    """Where a landing path really is, when a link takes it outside the home (else None)."""
    real = path.resolve()
    return None if real.is_relative_to(home.resolve()) else real


def refuse_links_outside_home(folder: Path, files: list[Path], home: Path) -> None:
    """Refuse a landing folder, or a file in it, that a link takes outside CCPIPE_HOME (the
    setting allow_landing_outside_home lifts this)."""
    for path in [folder, *files]:
        real = link_outside_home(path, home)
        if real is not None:
            label = path.relative_to(home).as_posix()
            raise IngestError.of(
                label,
                f"is a link to {real}, outside CCPIPE_HOME; set allow_landing_outside_home = "
                "true ([pipeline] in settings.toml) to read it",
            )


def content_digest(path: Path, label: str) -> tuple[str, int]:
    """The hash of the delivered content, so the same data as .csv or .csv.gz is one file,
    and its number of lines."""
    digest = hashlib.sha256()
    lines, last = 0, b"\n"
    try:
        with open_bytes(path) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                lines += block.count(b"\n")
                last = block[-1:]
    except (OSError, EOFError, zlib.error) as error:
        raise IngestError.of(label, f"cannot be read as gzip ({error})") from error
    return digest.hexdigest(), lines + (last != b"\n")


def open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def csv_header(path: Path, label: str) -> list[str]:
    """The header row, read in Python so column order is free and no sniffer guesses."""
    try:
        with open_bytes(path) as handle:
            first_line = handle.readline()
    except (OSError, EOFError, zlib.error) as error:
        raise IngestError.of(label, f"cannot be read as gzip ({error})") from error
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IngestError.of(label, f"line 1 is not UTF-8 ({error.reason})") from error
    header = [name.strip() for name in next(csv.reader([text]), [])]
    if not header or len(set(header)) != len(header):
        raise IngestError.of(label, "line 1 is not a header of distinct column names")
    return header


def refuse_missing_columns(
    feed: Feed, present: set[str], label: str, every_column: bool = True
) -> None:
    """Refuse a file lacking a contract column: always a required one; an optional one when
    every_column (a CSV header names them all: an empty value is how a CSV says null) or when
    the file carries a column the contract does not know (a renamed column, whose values would
    otherwise land in _extra while the contract's column reads null on every row)."""
    missing = [name for name in feed.required_columns if name not in present]
    if missing:
        raise IngestError.of(label, f"missing required column(s) {', '.join(missing)}")
    missing = [name for name in feed.column_names if name not in present]
    unknown = sorted(present - set(feed.column_names))
    if missing and (every_column or unknown):
        problem = f"missing column(s) {', '.join(missing)}"
        if unknown:
            problem += f"; it has {', '.join(unknown)}, which the contract does not know: renamed?"
        raise IngestError.of(label, problem)


def read_failure(label: str, error: WarehouseError) -> IngestError:
    """The file cannot be read: a fault of the file, so its feed is refused for the date. A
    failure of the machine (memory, disk) is raised as it is: no file is to blame."""
    if is_resource_failure(error):
        raise error
    first_line = str(error).strip().splitlines()[0]
    return IngestError.of(label, f"cannot be read ({first_line})")
