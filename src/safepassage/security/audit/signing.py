"""The audit signing key: Ed25519, in a file outside the database (mode 0600), made on first use.

Whoever holds the database but not this file can rewrite the chain consistently, but cannot sign its
new head or checkpoints, and ``audit verify`` says so. Its public key (``audit public-key``) is all a
verifier needs, and can be kept anywhere, even printed.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PEM_PUBLIC_BEGIN = b"-----BEGIN PUBLIC KEY-----"
log = logging.getLogger(__name__)


def key_id(public: Ed25519PublicKey) -> str:
    """16 hex digits of SHA-256 over the raw public key: names the key on every signature."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class Signer:
    private: Ed25519PrivateKey
    key_id: str

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode()

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()


def create_key_file(path: Path) -> bool:
    """Write a new private key to ``path`` (0600, its folder 0700) unless one is there; True if made.
    Two processes racing here agree: the file is created exclusively, the loser reads the winner's."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        os.write(fd, pem)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    os.close(fd)
    return True


def load_signer(path: Path, *, create: bool = True) -> Signer:
    """The signer of the key in ``path``, created there first if ``create`` and missing."""
    if create and not path.exists():
        create_key_file(path)
    try:
        if path.stat().st_mode & 0o077:
            log.warning("the audit signing key %s is readable by other users: chmod 600 it", path)
        data = path.read_bytes()
    except OSError as exc:
        raise RuntimeError(f"the audit signing key cannot be read from {path}: {exc.strerror}") from None
    if not data.strip():  # a racing creator has the file open but has not written yet
        raise RuntimeError(f"the audit signing key file {path} is empty")
    private = serialization.load_pem_private_key(data, password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise RuntimeError(f"{path} does not hold an Ed25519 private key")
    return Signer(private, key_id(private.public_key()))


class PublicKeys:
    """The public keys a verifier trusts, by key id (several after a key rotation)."""

    def __init__(self, keys: list[Ed25519PublicKey]) -> None:
        self.by_id = {key_id(k): k for k in keys}

    @classmethod
    def from_pem(cls, data: bytes) -> PublicKeys:
        """Every PEM public key in ``data`` (one file may hold the current and the retired keys)."""
        keys: list[Ed25519PublicKey] = []
        for block in data.split(PEM_PUBLIC_BEGIN)[1:]:
            key = serialization.load_pem_public_key(PEM_PUBLIC_BEGIN + block)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("not an Ed25519 public key")
            keys.append(key)
        if not keys:
            raise ValueError("no PEM public key found")
        return cls(keys)

    def verify(self, kid: str | None, message: bytes, signature: str | None) -> bool:
        key = self.by_id.get(kid or "")
        if key is None or not signature:
            return False
        try:
            key.verify(base64.b64decode(signature, validate=True), message)
        except (InvalidSignature, ValueError):
            return False
        return True
