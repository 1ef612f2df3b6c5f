"""``site_keys``: the state of every site data key version, where every process sees it at once.

The row holds no key material: only which version is current, which file holds it (``key_ref``),
which KEK wrapped it, and, once shredded, who shredded it, who approved and why. Every decryption
checks here that its version is not shredded before it uses a key (cached or not).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from safepassage.db import Base, UTCDateTime, code_column


class KeyState(StrEnum):
    ACTIVE = "active"  # seals new values (one per site at most)
    RETIRED = "retired"  # still opens the values sealed under it
    SHREDDED = "shredded"  # destroyed: what it sealed is unreadable for ever


class SiteKey(Base):
    __tablename__ = "site_keys"
    __table_args__ = (Index("ix_site_keys_site_state", "site_id", "state"),)

    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[KeyState] = mapped_column(code_column(KeyState))
    key_ref: Mapped[str] = mapped_column(String(40))
    kek_id: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    shredded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    shredded_by: Mapped[str | None] = mapped_column(String(80))
    approved_by: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
