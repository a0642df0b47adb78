"""French wording shared by what people read (the command line, status, exports, reports): counts that agree."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str) -> str:
    """« 0 alerte », « 1 alerte », « 3 alertes »: French uses the singular for 0 and 1."""
    return f"{count} {singular if count <= 1 else plural}"
