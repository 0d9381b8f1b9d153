"""The quality gates' thresholds: the one place they are set (environment, else defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GateSettings:
    """The gate's thresholds; the one place they are set (environment, else these defaults).

    CCPIPE_MAX_BAD_ROW_SHARE        largest quarantined share of a feed's rows read (0.01)
    CCPIPE_ROW_COUNT_MIN_RATIO      lowest row count, as a multiple of the trailing median (0.5)
    CCPIPE_ROW_COUNT_MAX_RATIO      highest row count, as a multiple of that median (2.0)
    CCPIPE_ROW_COUNT_HISTORY_DAYS   dates before the load date the median looks at (7)
    """

    max_bad_row_share: float = 0.01
    row_count_min_ratio: float = 0.5
    row_count_max_ratio: float = 2.0
    row_count_history_days: int = 7
    failing_rows: int = 5  # failing rows shown per expectation in the error

    ENV = {
        "max_bad_row_share": "CCPIPE_MAX_BAD_ROW_SHARE",
        "row_count_min_ratio": "CCPIPE_ROW_COUNT_MIN_RATIO",
        "row_count_max_ratio": "CCPIPE_ROW_COUNT_MAX_RATIO",
        "row_count_history_days": "CCPIPE_ROW_COUNT_HISTORY_DAYS",
    }

    def __post_init__(self) -> None:
        if not 0 <= self.max_bad_row_share <= 1:
            raise ValueError(f"max_bad_row_share {self.max_bad_row_share} is not in [0, 1]")
        if not 0 <= self.row_count_min_ratio <= 1 <= self.row_count_max_ratio:
            raise ValueError(
                f"row count band [{self.row_count_min_ratio}, {self.row_count_max_ratio}] "
                "must hold 1 (min ratio in [0, 1], max ratio >= 1)"
            )
        if self.row_count_history_days < 1:
            raise ValueError("row_count_history_days must be at least 1")

    @classmethod
    def from_env(cls) -> GateSettings:
        values: dict[str, Any] = {}
        for name, variable in cls.ENV.items():
            text = os.environ.get(variable, "").strip()
            if not text:
                continue
            kind = int if name == "row_count_history_days" else float
            try:
                values[name] = kind(text)
            except ValueError as error:
                raise ValueError(f"{variable}={text!r} is not a {kind.__name__}") from error
        return cls(**values)
