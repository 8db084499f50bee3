"""The hash chain of the registry's journal.

Each journal entry's hash is SHA-256 of a canonical JSON text of the entry — sequence number,
idempotency key, command, actor, payload, time, the previous entry's hash and every posting with
the balance it leaves — so changing, removing or reordering any committed row breaks the chain
from that entry on (``ecociv registry verify``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any


def canonical(value: Any) -> str:
    """JSON text with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(*, seq: int, key: str, command: str, actor: str, payload: str, created_at: str,
               prev_hash: str, postings: Sequence[Sequence[Any]]) -> str:
    """SHA-256 (hex) of one journal entry.

    Parameters
    ----------
    seq, key, command, actor, payload, created_at, prev_hash
        The entry's columns (``payload`` is its canonical JSON text).
    postings : sequence of (line, account, instrument, vintage, amount, balance_after)
        The entry's postings in line order; amounts in micro-units.
    """
    document = canonical({
        "seq": int(seq), "key": key, "command": command, "actor": actor, "payload": payload,
        "created_at": created_at, "prev": prev_hash,
        "postings": [[int(p[0]), p[1], p[2], int(p[3]), int(p[4]), int(p[5])] for p in postings],
    })
    return hashlib.sha256(document.encode("utf-8")).hexdigest()
