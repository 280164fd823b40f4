"""The audit log: every decision and every signature, with who made it. Never personal data or secrets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from disfruta.oracle.models import AuditEvent


def record(db: Session, actor: str, action: str, subject: str | None = None, **details: Any) -> AuditEvent:
    """Adds an event to the session (written with the rest of the request's changes, or not at all)."""
    event = AuditEvent(actor=actor, action=action, subject=subject, details=details)
    db.add(event)
    return event


def events(db: Session, *, subject: str | None = None, action: str | None = None,
           limit: int = 100) -> list[AuditEvent]:
    """Most recent first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(db.scalars(query))
