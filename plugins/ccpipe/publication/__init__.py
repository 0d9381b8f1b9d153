"""Publication: the gated marts put in front of BI atomically, and the state that says what
each build rebuilt and what each publication carried (one owner: publication.state)."""

from ccpipe.publication.publish import (
    Publication,
    PublishError,
    publish_marts,
    read_publication,
)
from ccpipe.publication.state import UngatedMartsError

__all__ = ["Publication", "PublishError", "UngatedMartsError", "publish_marts", "read_publication"]
