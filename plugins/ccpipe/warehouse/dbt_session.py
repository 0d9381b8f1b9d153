"""The dbt-duckdb plugin (profiles.yml) that gives dbt's sessions the keyed hash's secret.

phone_hash_key reaches dbt as the environment variable DBT_ENV_SECRET_CCPIPE_PHONE_HASH_KEY,
which dbt allows only in profiles.yml and scrubs from its logs; the profile hands it to this
plugin, which sets, on every connection and cursor dbt opens, the two HMAC-SHA256 pads of
the key (RFC 2104) as session variables that the macro keyed_hash reads. So the key is never
in the SQL dbt compiles, in a view's definition, in the vars or in the manifest. Without a
key nothing is set, and hashing a number fails the build.
"""

from __future__ import annotations

import hashlib
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

BLOCK = 64  # SHA-256's block size, the HMAC key's padded length
PAD_VARIABLES = ("ccpipe_phone_hash_ipad", "ccpipe_phone_hash_opad")


def hmac_pads(key: str) -> tuple[bytes, bytes]:
    """The inner and outer HMAC pads of a key: HMAC(k, m) = H(opad || H(ipad || m))."""
    raw = key.encode("utf-8")
    if len(raw) > BLOCK:
        raw = hashlib.sha256(raw).digest()
    padded = raw.ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        key = str(plugin_config.get("phone_hash_key") or "")
        self.pads = hmac_pads(key) if key else None

    def configure_connection(self, conn: Any) -> None:
        self.set_pads(conn)

    def configure_cursor(self, cursor: Any) -> None:
        self.set_pads(cursor)

    def set_pads(self, con: Any) -> None:
        if self.pads is None:
            return
        for name, pad in zip(PAD_VARIABLES, self.pads, strict=True):
            con.execute(f"set variable {name} = from_hex('{pad.hex()}')")
