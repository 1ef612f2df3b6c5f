"""The keystore: one small file per site data key version, wrapped by the KEK, outside the database.

Layout: ``<keystore_dir>/<site id>/<ref>.key`` where ``ref`` (``v3-1f2e3d4c``) is recorded in the
``site_keys`` row, so two processes creating a key at the same moment never write the same file.
A file is JSON: format, site id, version, the id of the KEK that wrapped it and the wrapped key.
Every write goes to a temporary file, is synced, then linked or renamed into place and the directory
synced, so a crash leaves either the old file or the new one, never half of one.

The database holds no key material; a database backup holds none either. The keystore is backed up
apart (it is useless without the KEK) or not at all: see docs/security-keys.md.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from safepassage.security.keys.errors import KeyUnavailable
from safepassage.security.keys.kek import KeyEncryptionKey, KeyRing, fsync_dir

FORMAT = 1


def wrap_aad(site_id: uuid.UUID, version: int) -> bytes:
    """A wrapped key opens only as the key of this site and version (a renamed file does not)."""
    return f"safepassage-dek-v1|{site_id}|{version}".encode()


@dataclass(frozen=True)
class WrappedKey:
    site_id: uuid.UUID
    version: int
    kek_id: str
    wrapped: bytes

    def dumps(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "site_id": str(self.site_id),
                "version": self.version,
                "kek_id": self.kek_id,
                "wrapped": base64.b64encode(self.wrapped).decode(),
            }
        ).encode()

    @classmethod
    def loads(cls, data: bytes, where: str) -> WrappedKey:
        try:
            doc = json.loads(data)
            if doc["format"] != FORMAT:
                raise ValueError("format")
            return cls(
                site_id=uuid.UUID(doc["site_id"]),
                version=int(doc["version"]),
                kek_id=str(doc["kek_id"]),
                wrapped=base64.b64decode(doc["wrapped"]),
            )
        except (ValueError, KeyError, TypeError):
            raise KeyUnavailable(f"the key file {where} is damaged") from None

    def unwrap(self, ring: KeyRing) -> bytes:
        kek = ring.by_id(self.kek_id)
        if kek is None:
            raise KeyUnavailable(
                f"the data key of site {self.site_id} version {self.version} is wrapped by {self.kek_id}, "
                f"which is not configured here (configured: {', '.join(ring.ids)})"
            )
        return kek.unwrap(self.wrapped, wrap_aad(self.site_id, self.version))


@dataclass(frozen=True)
class KeyFile:
    site_id: uuid.UUID
    ref: str
    path: Path


class KeyStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, site_id: uuid.UUID, ref: str) -> Path:
        if not ref.replace("-", "").isalnum():
            raise KeyUnavailable(f"not a key reference: {ref!r}")
        return self.root / str(site_id) / f"{ref}.key"

    def create(self, site_id: uuid.UUID, version: int, data_key: bytes, kek: KeyEncryptionKey) -> str:
        """Wrap and store a new data key; its reference. Never replaces an existing file."""
        ref = f"v{version}-{secrets.token_hex(4)}"
        wrapped = WrappedKey(site_id, version, kek.key_id, kek.wrap(data_key, wrap_aad(site_id, version)))
        target = self.path(site_id, ref)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.root.chmod(0o700)
        tmp = self._write_tmp(target, wrapped.dumps())
        try:
            os.link(tmp, target)  # fails if the name exists: never over another key
        finally:
            tmp.unlink()
        fsync_dir(target.parent)
        return ref

    def read(self, site_id: uuid.UUID, ref: str) -> WrappedKey:
        path = self.path(site_id, ref)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyUnavailable(
                f"the key file of site {site_id} ({ref}) is missing from {self.root}"
            ) from None
        found = WrappedKey.loads(data, str(path))
        if found.site_id != site_id:
            raise KeyUnavailable(f"the key file {path} belongs to another site")
        return found

    def replace(self, site_id: uuid.UUID, ref: str, wrapped: WrappedKey) -> None:
        """Atomically put ``wrapped`` in place of the file (KEK rotation)."""
        target = self.path(site_id, ref)
        tmp = self._write_tmp(target, wrapped.dumps())
        os.replace(tmp, target)
        fsync_dir(target.parent)

    def destroy(self, site_id: uuid.UUID, ref: str) -> bool:
        """Overwrite the file with random bytes, sync, unlink, sync the directory. False when it was
        gone already. (On flash and copy-on-write file systems an overwrite may not reach the old
        blocks: what makes a shred final is that the KEK never meets this file again.)"""
        path = self.path(site_id, ref)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return False
        with path.open("r+b") as handle:
            handle.write(os.urandom(max(size, 1)))
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()
        fsync_dir(path.parent)
        return True

    def files(self) -> Iterator[KeyFile]:
        if not self.root.is_dir():
            return
        for site_dir in sorted(self.root.iterdir()):
            try:
                site_id = uuid.UUID(site_dir.name)
            except ValueError:
                continue
            for path in sorted(site_dir.glob("*.key")):
                yield KeyFile(site_id, path.stem, path)

    def is_empty(self) -> bool:
        return next(self.files(), None) is None

    @staticmethod
    def _write_tmp(target: Path, data: bytes) -> Path:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return tmp
