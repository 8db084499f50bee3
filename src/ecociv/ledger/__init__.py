"""The trading registry of emission rights, carbon allowances and water rights (``ecociv registry``).

An append-only journal with double-entry postings and a hash chain, in SQLite (WAL) or PostgreSQL:
:class:`~ecociv.ledger.ledger.Ledger` records commands, :func:`~ecociv.ledger.audit.verify` checks
the whole ledger end to end. See docs/registry.md."""

from ecociv.ledger.audit import Verification, export, verify
from ecociv.ledger.ledger import ROLES, Entry, Ledger, PermissionDeniedError

__all__ = ["ROLES", "Entry", "Ledger", "PermissionDeniedError", "Verification", "export", "verify"]
