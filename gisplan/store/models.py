"""Database tables of the scenario store (SQLAlchemy 2.0 declarative).

``scenario``
    One saved planning scenario: unique ``name``, ``author`` (username), ``created_at`` /
    ``updated_at`` (UTC), the focus ``category`` (catalogue id, optional), ``params`` (JSON:
    walking speed km/h, thresholds in minutes, budget, ...), ``sites`` (GeoJSON
    FeatureCollection text, WGS-84 lon/lat, chosen and hand-placed sites with property
    ``kind`` = ``"chosen"`` | ``"manual"``), ``results`` (JSON, see
    :mod:`gisplan.store.scenarios`), ``schema_version`` (format of those JSON fields) and the
    dataset it was made on: ``dataset_name`` and ``dataset_hash`` (the dataset's content hash,
    :attr:`gisplan.analysis.Dataset.content_hash`; both NULL for scenarios saved before
    revision 0002).
``audit_log``
    Who saved, overwrote, exported or deleted which scenario, when; ``detail`` holds JSON,
    for an overwrite or a deletion the complete previous scenario, so history is never lost.

The tables are created and upgraded by the Alembic migrations in ``migrations/versions``;
a change here needs a new migration.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "Scenario", "AuditLog", "UTCDateTime", "RECORD_FORMAT_VERSION"]

#: Version of the JSON/GeoJSON layout stored in a scenario row.
RECORD_FORMAT_VERSION = 1

NAME_MAX_LEN = 200
USERNAME_MAX_LEN = 100
DATASET_NAME_MAX_LEN = 300


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """A timezone-aware time as stored: UTC (naive UTC in SQLite); naive times refused."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; gisplan stores timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """A stored time as a timezone-aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of gisplan's store tables."""


class Scenario(Base):
    """A saved scenario (one row per unique name)."""

    __tablename__ = "scenario"
    __table_args__ = (UniqueConstraint("name", name="uq_scenario_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LEN), nullable=False)
    author: Mapped[str] = mapped_column(String(USERNAME_MAX_LEN), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    params: Mapped[dict] = mapped_column(JSON, nullable=False)
    sites: Mapped[str] = mapped_column(Text, nullable=False)
    results: Mapped[dict] = mapped_column(JSON, nullable=False)
    schema_version: Mapped[int] = mapped_column(Integer, nullable=False)
    dataset_name: Mapped[str | None] = mapped_column(String(DATASET_NAME_MAX_LEN), nullable=True)
    dataset_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditLog(Base):
    """One audited action on a scenario."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_scenario_name", "scenario_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX_LEN), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    scenario_name: Mapped[str] = mapped_column(String(NAME_MAX_LEN), nullable=False)
    detail: Mapped[dict | None] = mapped_column(JSON, nullable=True)
