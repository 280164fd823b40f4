"""The `Writer`: the state rows and fact rows of one database transaction, for the handlers to change.

A range's handlers touch the same rows again and again (a loan's row on every repayment, a holder's position on
every transfer): the writer loads each row once, hands out the same mutable dict, and writes every row and fact
when the range commits (`flush`), so indexing costs a few statements per row touched rather than per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, and_, insert, select, update

from disfruta.index import schema as s


@dataclass(frozen=True)
class IndexedEvent:
    """One decoded log with where it happened (args by the ABI's names, JSON-shaped: bytes as 0x-hex)."""

    contract: str
    name: str
    address: str
    args: dict[str, Any]
    block: int
    timestamp: int
    tx_hash: str
    log_index: int

    def at(self) -> dict[str, Any]:
        return {"block": self.block, "timestamp": self.timestamp, "tx_hash": self.tx_hash, "log_index": self.log_index}


_KEYS: dict[str, tuple[str, ...]] = {t.name: tuple(c.name for c in t.primary_key.columns) for t in s.STATE_TABLES}


class Writer:
    """The state rows and facts of one database transaction. ``row(table, *key)`` returns the (cached, mutable) row,
    loading it or starting it from the table's defaults; ``flush()`` writes everything."""

    def __init__(self, conn: Connection, loan_ids: dict[str, int] | None = None) -> None:
        """``loan_ids``: loan address → id as the caller already knows them (read from ``loans`` otherwise)."""
        self.conn = conn
        self._rows: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {t.name: {} for t in s.STATE_TABLES}
        self._new: dict[str, set[tuple[Any, ...]]] = {t.name: set() for t in s.STATE_TABLES}
        self._facts: dict[str, list[dict[str, Any]]] = {}
        self.loan_ids: dict[str, int] = dict(loan_ids) if loan_ids is not None else dict(
            conn.execute(select(s.loans.c.address, s.loans.c.loan_id)).all())
        self.new_loans: list[str] = []
        # Notes one event leaves for a later one of the same transaction (e.g. a recovery already credited).
        self.scratch: dict[Any, Any] = {}

    def row(self, table: Table, *key: Any) -> dict[str, Any] | None:
        """The state row with this primary key, or ``None`` when it doesn't exist yet."""
        cache = self._rows[table.name]
        if key in cache:
            return cache[key]
        names = _KEYS[table.name]
        found = self.conn.execute(select(table).where(and_(*(table.c[n] == v for n, v in zip(names, key,
                                                                                          strict=True))))).first()
        if found is None:
            return None
        cache[key] = dict(found._mapping)
        return cache[key]

    def upsert(self, table: Table, *key: Any, **initial: Any) -> dict[str, Any]:
        """The row with this key, created (table defaults, then ``initial``) when missing."""
        found = self.row(table, *key)
        if found is not None:
            return found
        fresh: dict[str, Any] = {}
        for column in table.columns:
            default = getattr(column.default, "arg", None)  # a scalar default (every state table has only those)
            fresh[column.name] = default
        fresh.update(dict(zip(_KEYS[table.name], key, strict=True)))
        fresh.update(initial)
        self._rows[table.name][key] = fresh
        self._new[table.name].add(key)
        return fresh

    def fact(self, table: Table, event: IndexedEvent, **values: Any) -> None:
        self._facts.setdefault(table.name, []).append({**event.at(), **values})

    def loan(self, address: str) -> dict[str, Any] | None:
        loan_id = self.loan_ids.get(address)
        return None if loan_id is None else self.row(s.loans, loan_id)

    def flush(self) -> None:
        tables = {t.name: t for t in s.DERIVED_TABLES}
        for name, rows in self._rows.items():
            table = tables[name]
            names = _KEYS[name]
            new = [r for k, r in rows.items() if k in self._new[name]]
            old = [r for k, r in rows.items() if k not in self._new[name]]
            if new:
                self.conn.execute(insert(table), new)
            for r in old:
                self.conn.execute(update(table).where(and_(*(table.c[n] == r[n] for n in names))).values(r))
        for name, facts in self._facts.items():
            self.conn.execute(insert(tables[name]), facts)
        for cache in self._rows.values():
            cache.clear()
        for keys in self._new.values():
            keys.clear()
        self._facts.clear()
