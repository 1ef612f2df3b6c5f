"""The key-encryption key (KEK): it wraps every site data key and never enters the database.

``KeyEncryptionKey`` is the whole interface a store of KEKs has to offer: an id, ``wrap`` and
``unwrap`` with associated data. Two implementations ship, both ``LocalKek`` (AES-256-GCM with a
256-bit key held in this process's memory), loaded either from a key file (``kek_file``, 32 random
bytes, mode 0600) or from an environment secret (``kek``, base64). A KMS or HSM fits the same
protocol without touching the rest: ``wrap`` becomes the service's Encrypt call (the associated
data passed as its encryption context or AAD), ``unwrap`` its Decrypt, and ``key_id`` the key's ARN
or label; the key never leaves the device, and the data keys it unwraps are cached in memory as now.

A ``KeyRing`` holds the current KEK (which wraps new keys) and the previous ones (which still unwrap
keys not yet re-wrapped), so ``safepassage keys rotate-kek`` runs while the servers keep serving.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safepassage.security.keys.errors import KeyUnavailable

KEK_BYTES = 32
_NONCE = 12


class KeyEncryptionKey(Protocol):
    @property
    def key_id(self) -> str:
        """A stable, non-secret name of this KEK, recorded beside every key it wraps."""
        ...

    def wrap(self, data_key: bytes, aad: bytes) -> bytes: ...

    def unwrap(self, blob: bytes, aad: bytes) -> bytes: ...


class LocalKek:
    """A 256-bit KEK in memory. Its id is a digest of the key, so the id alone reveals nothing and
    the same key always has the same id wherever it is loaded from."""

    def __init__(self, key: bytes, *, source: str) -> None:
        if len(key) != KEK_BYTES:
            raise KeyUnavailable(f"the key-encryption key from {source} is not 32 bytes")
        self._aead = AESGCM(key)
        self._id = "kek-" + hashlib.sha256(b"safepassage kek id\0" + key).hexdigest()[:16]
        self.source = source

    @property
    def key_id(self) -> str:
        return self._id

    def wrap(self, data_key: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, data_key, aad)

    def unwrap(self, blob: bytes, aad: bytes) -> bytes:
        try:
            return self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], aad)
        except InvalidTag:
            raise KeyUnavailable(
                f"a wrapped data key does not open with {self._id}: altered or wrapped for another key"
            ) from None

    def __repr__(self) -> str:  # never the key
        return f"LocalKek({self._id} from {self.source})"


def secret_kek(secret: str, *, source: str) -> LocalKek:
    """A KEK from a base64 secret (``SAFEPASSAGE_KEK``): 32 bytes once decoded."""
    try:
        key = base64.b64decode(secret.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyUnavailable(f"the key-encryption key in {source} is not base64") from None
    return LocalKek(key, source=source)


def read_key_file(path: Path) -> LocalKek:
    """Load a KEK file. A file that others may read is refused: the KEK is the one secret that turns
    a stolen database and keystore into plaintext."""
    try:
        info = path.stat()
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyUnavailable(f"{path} may be read by other users: chmod 600 {path}")
        return LocalKek(path.read_bytes(), source=str(path))
    except FileNotFoundError:
        raise KeyUnavailable(f"the key-encryption key file {path} does not exist") from None
    except PermissionError:
        raise KeyUnavailable(f"the key-encryption key file {path} cannot be read by this user") from None


def create_key_file(path: Path) -> LocalKek:
    """Write 32 random bytes to ``path`` (mode 0600, never over an existing file), synced to disk."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = os.urandom(KEK_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # whole or not at all, and never over an existing key
    finally:
        tmp.unlink()
    fsync_dir(path.parent)
    return LocalKek(key, source=str(path))


def fsync_dir(directory: Path) -> None:
    """Make a rename, link or unlink in ``directory`` durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def retired_name(kek_file: Path, key_id: str) -> Path:
    """Where ``rotate-kek`` keeps a replaced KEK file until its keys are re-wrapped."""
    return kek_file.with_name(f"{kek_file.name}.{key_id}.retired")


@dataclass
class KeyRing:
    """The current KEK and the previous ones still accepted for unwrapping."""

    current: KeyEncryptionKey
    previous: list[KeyEncryptionKey] = field(default_factory=list)

    def by_id(self, key_id: str) -> KeyEncryptionKey | None:
        for kek in (self.current, *self.previous):
            if kek.key_id == key_id:
                return kek
        return None

    @property
    def ids(self) -> list[str]:
        return [k.key_id for k in (self.current, *self.previous)]


@dataclass(frozen=True)
class KekConfig:
    """Where the KEKs come from (built from the settings at the composition root)."""

    kek_file: Path
    kek_secret: str = ""  # base64; when set, the environment secret is the current KEK
    previous_files: tuple[Path, ...] = ()
    previous_secrets: tuple[str, ...] = ()

    def load(self, *, create: bool) -> KeyRing:
        """The ring as configured now. With ``create``, a missing KEK file is created (first use)."""
        if self.kek_secret:
            current: KeyEncryptionKey = secret_kek(self.kek_secret, source="SAFEPASSAGE_KEK")
        elif create and not self.kek_file.exists():
            try:
                current = create_key_file(self.kek_file)
            except FileExistsError:  # another process made it a moment ago: use that one
                current = read_key_file(self.kek_file)
        else:
            current = read_key_file(self.kek_file)
        previous: list[KeyEncryptionKey] = []
        for path in self._previous_paths():
            previous.append(read_key_file(path))
        for i, secret in enumerate(self.previous_secrets):
            previous.append(secret_kek(secret, source=f"SAFEPASSAGE_KEK_PREVIOUS[{i}]"))
        if self.kek_secret and self.kek_file.exists():
            previous.append(read_key_file(self.kek_file))  # moving from the file to the secret
        unique = {k.key_id: k for k in previous if k.key_id != current.key_id}
        return KeyRing(current=current, previous=list(unique.values()))

    def _previous_paths(self) -> Iterable[Path]:
        seen = set()
        retired = sorted(self.kek_file.parent.glob(f"{self.kek_file.name}.*.retired"))
        for path in (*self.previous_files, *retired):
            if path not in seen:
                seen.add(path)
                yield path
