"""``FieldKeys``: seals and opens protected values with the site data keys, creates, rotates and
shreds those keys. One per process (built by ``bootstrap``), reached from a unit of work's session.

State lives in two places, each holding what the other must not: ``site_keys`` (database) says which
versions exist and whether they are shredded; the keystore (files) holds the keys, wrapped by the
KEK. Unwrapped keys are cached in this process, but every use first reads the version's state from
``site_keys`` (one indexed query per call), so a shred done by any process stops every process at
its next read, cache or not.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from safepassage.config import Settings
from safepassage.db import Base
from safepassage.security.keys import envelope
from safepassage.security.keys.envelope import Envelope, FieldRef
from safepassage.security.keys.errors import FieldCryptoError, KeyShredded, KeyUnavailable
from safepassage.security.keys.kek import KekConfig, KeyRing, create_key_file, fsync_dir, retired_name
from safepassage.security.keys.models import KeyState, SiteKey
from safepassage.security.keys.store import KeyStore, WrappedKey, wrap_aad

# The key under which a unit of work's session carries the process's ``FieldKeys`` (as it carries
# the actor and the clock): set once on the session factory by ``bootstrap``.
FIELD_KEYS = "safepassage.field_keys"


@dataclass(frozen=True)
class Rewrapped:
    rewrapped: int
    already_current: int
    kek_id: str


class FieldKeys:
    def __init__(self, config: KekConfig, store: KeyStore) -> None:
        self.config = config
        self.store = store
        self._ring: KeyRing | None = None
        self._keys: dict[tuple[uuid.UUID, int], bytes] = {}
        self._lock = threading.Lock()

    # --- the KEK ring ----------------------------------------------------------------------------
    @property
    def ring(self) -> KeyRing:
        if self._ring is None:
            with self._lock:
                if self._ring is None:
                    # a KEK file is made on first use only while no key depends on a lost one
                    self._ring = self.config.load(create=self.store.is_empty())
        return self._ring

    def reload(self) -> KeyRing:
        """Read the KEKs again (another process rotated them)."""
        with self._lock:
            self._ring = self.config.load(create=False)
        return self._ring

    def ensure_kek(self) -> str:
        """Create the KEK file if it is missing and nothing depends on it yet; its id."""
        return self.ring.current.key_id

    # --- sealing ---------------------------------------------------------------------------------
    def seal(
        self,
        session: Session,
        site_id: uuid.UUID,
        ref: FieldRef,
        plaintext: str,
        *,
        by: str,
        now: dt.datetime,
    ) -> str:
        """``plaintext`` sealed under the site's active key (made if the site has none, also after a
        shred: a shred destroys what was, it does not forbid recording anew)."""
        active = select(SiteKey).where(SiteKey.site_id == site_id, SiteKey.state == KeyState.ACTIVE)
        row = session.scalar(active.execution_options(populate_existing=True))
        if row is not None:
            version, key_ref = row.version, row.key_ref
        else:
            version, key_ref = self.new_version(session, site_id, by=by, now=now, reuse_active=True)
        return envelope.seal(self._data_key(site_id, version, key_ref), ref, site_id, version, plaintext)

    def new_version(
        self, session: Session, site_id: uuid.UUID, *, by: str, now: dt.datetime, reuse_active: bool = False
    ) -> tuple[int, str]:
        """A new data key version for the site, in the caller's transaction; earlier active ones are
        retired (they keep opening what they sealed). The site row is locked (PostgreSQL) so two
        writers never make the same version; the file is written before the row, so a committed row
        always has its file. A rolled-back transaction leaves an unreferenced file (``keys status``).
        ``reuse_active``: the site's active key if another writer made one meanwhile (first writes).
        On SQLite, writers are serialised by the database; two first writes at one site in the same
        instant may still collide on the version (one of them fails and can be retried)."""
        sites = Base.metadata.tables["sites"]
        session.execute(select(sites.c.id).where(sites.c.id == site_id).with_for_update())
        if reuse_active:  # another writer may have made the site's first key while this one waited
            made = session.execute(
                select(SiteKey.version, SiteKey.key_ref).where(
                    SiteKey.site_id == site_id, SiteKey.state == KeyState.ACTIVE
                )
            ).first()
            if made is not None:
                return made.version, made.key_ref
        versions = list(session.scalars(select(SiteKey.version).where(SiteKey.site_id == site_id)))
        version = max(versions, default=0) + 1
        data_key = os.urandom(envelope.KEY_BYTES)
        kek = self.ring.current
        key_ref = self.store.create(site_id, version, data_key, kek)
        session.execute(
            update(SiteKey)
            .where(SiteKey.site_id == site_id, SiteKey.state == KeyState.ACTIVE)
            .values(state=KeyState.RETIRED)
        )
        session.execute(
            insert(SiteKey).values(
                site_id=site_id,
                version=version,
                state=KeyState.ACTIVE,
                key_ref=key_ref,
                kek_id=kek.key_id,
                created_at=now,
                created_by=by,
            )
        )
        self._keys[(site_id, version)] = data_key
        return version, key_ref

    # --- opening ---------------------------------------------------------------------------------
    def open_many(
        self, session: Session, items: Sequence[tuple[FieldRef, str]]
    ) -> list[str | FieldCryptoError]:
        """Each sealed value opened, or the reason it cannot be (shredded, unavailable, tampered).
        One query reads the state of every key version involved."""
        parsed: list[Envelope | FieldCryptoError] = []
        for _, text in items:
            try:
                parsed.append(Envelope.parse(text))
            except FieldCryptoError as exc:
                parsed.append(exc)
        sites = {e.site_id for e in parsed if isinstance(e, Envelope)}
        rows: dict[tuple[uuid.UUID, int], SiteKey] = {}
        if sites:
            stmt = select(SiteKey).where(SiteKey.site_id.in_(sorted(sites)))
            for row in session.scalars(stmt.execution_options(populate_existing=True)):
                rows[(row.site_id, row.version)] = row
        out: list[str | FieldCryptoError] = []
        for (ref, _), env in zip(items, parsed, strict=True):
            if isinstance(env, FieldCryptoError):
                out.append(env)
                continue
            try:
                out.append(self._open(ref, env, rows.get((env.site_id, env.version))))
            except FieldCryptoError as exc:
                out.append(exc)
        return out

    def open(self, session: Session, ref: FieldRef, text: str) -> str:
        result = self.open_many(session, [(ref, text)])[0]
        if isinstance(result, FieldCryptoError):
            raise result
        return result

    def _open(self, ref: FieldRef, env: Envelope, row: SiteKey | None) -> str:
        if row is None:
            raise KeyUnavailable(f"site {env.site_id} has no key version {env.version}")
        if row.state == KeyState.SHREDDED:
            self._keys.pop((env.site_id, env.version), None)
            raise KeyShredded(env.site_id, env.version)
        return envelope.open_sealed(self._data_key(env.site_id, env.version, row.key_ref), ref, env)

    def _data_key(self, site_id: uuid.UUID, version: int, key_ref: str) -> bytes:
        cached = self._keys.get((site_id, version))
        if cached is not None:
            return cached
        wrapped = self.store.read(site_id, key_ref)
        if wrapped.version != version:
            raise KeyUnavailable(f"the key file {key_ref} of site {site_id} is not version {version}")
        ring = self.ring if self.ring.by_id(wrapped.kek_id) else self.reload()
        data_key = wrapped.unwrap(ring)
        self._keys[(site_id, version)] = data_key
        return data_key

    # --- shredding -------------------------------------------------------------------------------
    def mark_shredded(
        self,
        session: Session,
        site_id: uuid.UUID,
        *,
        by: str,
        approved_by: str,
        reason: str,
        now: dt.datetime,
    ) -> list[int]:
        """Mark every unshredded version of the site shredded, in the caller's transaction (which
        commits it with its audit entry); ``destroy_shredded`` then destroys the files."""
        sites = Base.metadata.tables["sites"]
        session.execute(select(sites.c.id).where(sites.c.id == site_id).with_for_update())
        stmt = select(SiteKey).where(SiteKey.site_id == site_id).with_for_update()
        rows = list(session.scalars(stmt.execution_options(populate_existing=True)))
        versions = []
        for row in rows:
            if row.state != KeyState.SHREDDED:
                row.state = KeyState.SHREDDED
                row.shredded_at = now
                row.shredded_by = by
                row.approved_by = approved_by
                row.reason = reason
                versions.append(row.version)
            self._keys.pop((site_id, row.version), None)
        return versions

    def destroy_shredded(self, session: Session, site_id: uuid.UUID) -> int:
        """Destroy the key files of the site's shredded versions (again harmless: a shred cut short
        by a crash is finished by running it again), and unreferenced files of those versions."""
        stmt = select(SiteKey).where(SiteKey.site_id == site_id)
        rows = list(session.scalars(stmt.execution_options(populate_existing=True)))
        shredded = {r.key_ref for r in rows if r.state == KeyState.SHREDDED}
        live = {r.key_ref for r in rows if r.state != KeyState.SHREDDED}
        top = max((r.version for r in rows if r.state == KeyState.SHREDDED), default=0)
        destroyed = 0
        for f in self.store.files():
            if f.site_id != site_id or f.ref in live:
                continue
            if f.ref in shredded or _version_of(f.ref) <= top:
                destroyed += self.store.destroy(site_id, f.ref)
        for key in [k for k in self._keys if k[0] == site_id]:
            self._keys.pop(key, None)
        return destroyed

    # --- rotating the KEK ------------------------------------------------------------------------
    def new_kek_file(self) -> str:
        """Make a new KEK the current one: the old file is kept as ``<kek_file>.<id>.retired`` (still
        accepted by every process that reloads), the new one takes the configured name."""
        if self.config.kek_secret:
            raise KeyUnavailable(
                "the KEK comes from SAFEPASSAGE_KEK: set the new secret there, the old one in "
                "SAFEPASSAGE_KEK_PREVIOUS, then run `safepassage keys rotate-kek --rewrap-only`"
            )
        old = self.ring.current
        path = self.config.kek_file
        fresh = path.with_name(path.name + ".new")
        fresh.unlink(missing_ok=True)
        new = create_key_file(fresh)
        retired = retired_name(path, old.key_id)
        if not retired.exists():
            os.link(path, retired)  # the old key under its second name before the first is replaced
        os.replace(fresh, path)
        fsync_dir(path.parent)
        self.reload()
        return new.key_id

    def rewrap_all(self, session: Session) -> Rewrapped:
        """Re-wrap every key file not wrapped by the current KEK, one atomic file replace each; the
        rows' ``kek_id`` follow (the caller commits). Interrupted, it is simply run again."""
        ring = self.reload()
        current = ring.current
        done = same = 0
        for f in self.store.files():
            wrapped = self.store.read(f.site_id, f.ref)
            if wrapped.kek_id == current.key_id:
                same += 1
                continue
            data_key = wrapped.unwrap(ring)
            aad = wrap_aad(wrapped.site_id, wrapped.version)
            self.store.replace(
                f.site_id,
                f.ref,
                WrappedKey(wrapped.site_id, wrapped.version, current.key_id, current.wrap(data_key, aad)),
            )
            session.execute(
                update(SiteKey)
                .where(SiteKey.site_id == f.site_id, SiteKey.key_ref == f.ref)
                .values(kek_id=current.key_id)
            )
            done += 1
        return Rewrapped(rewrapped=done, already_current=same, kek_id=current.key_id)

    def retired_kek_files(self) -> list[str]:
        path = self.config.kek_file
        return sorted(str(p) for p in path.parent.glob(f"{path.name}.*.retired"))

    def destroy_retired_kek_files(self) -> int:
        count = 0
        for name in self.retired_kek_files():
            path = self.config.kek_file.with_name(os.path.basename(name))
            size = path.stat().st_size
            with path.open("r+b") as handle:
                handle.write(os.urandom(max(size, 1)))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
            count += 1
        if count:
            fsync_dir(self.config.kek_file.parent)
            self.reload()
        return count


def _version_of(ref: str) -> int:
    head = ref.split("-", 1)[0]
    return int(head[1:]) if head.startswith("v") and head[1:].isdigit() else 0


def field_keys(session: Session) -> FieldKeys:
    """The process's ``FieldKeys``, as wired by ``bootstrap`` into every unit of work's session."""
    keys = session.info.get(FIELD_KEYS)
    if not isinstance(keys, FieldKeys):
        raise KeyUnavailable("no key service is wired into this unit of work (build it with bootstrap)")
    return keys


def keys_for(settings: Settings) -> FieldKeys:
    """The process's ``FieldKeys`` from the settings (nothing is read from disk until first use)."""
    keys_dir = Path(settings.var_dir) / "keys"
    config = KekConfig(
        kek_file=settings.kek_file or keys_dir / "kek.key",
        kek_secret=settings.kek.get_secret_value(),
        previous_files=tuple(settings.kek_previous_files),
        previous_secrets=tuple(s for s in settings.kek_previous.get_secret_value().split(",") if s.strip()),
    )
    return FieldKeys(config, KeyStore(settings.keystore_dir or keys_dir / "sites"))
