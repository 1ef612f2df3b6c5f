"""The field envelope: AES-256-GCM under a site data key, bound to its record and field.

A sealed value is stored as text in its own column::

    spf1:<site id>:<key version>:<nonce, base64url>:<ciphertext and tag, base64url>

``spf1`` names the format (a later format gets another prefix and both are read during a migration).
The site id and key version say which data key opens it, so a reader never guesses and a shred can
be checked before anything is decrypted. The 96-bit nonce is fresh for every value (``os.urandom``);
with at most a few million values per key version the random-nonce collision bound of GCM (2^-32
after 2^32 values) is far away, and ``keys rotate-site`` starts a new version long before.

The associated data binds the ciphertext to where it belongs: table, record id, field name, site id
and key version. A value copied into another person's row, into another field of the same row, or
relabelled with another version fails authentication (``TamperedValue``) instead of decrypting.
"""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safepassage.security.keys.errors import MalformedValue, TamperedValue

PREFIX = "spf1"
NONCE_BYTES = 12
KEY_BYTES = 32
AAD_LABEL = "safepassage-field-v1"


@dataclass(frozen=True)
class FieldRef:
    """Where a value lives: ``protection_attributes`` / the person's id / ``religion``."""

    table: str
    record_id: uuid.UUID
    field: str


@dataclass(frozen=True)
class Envelope:
    site_id: uuid.UUID
    version: int
    nonce: bytes
    ciphertext: bytes  # with the 16-byte GCM tag at its end

    def pack(self) -> str:
        return ":".join(
            (PREFIX, str(self.site_id), str(self.version), _b64(self.nonce), _b64(self.ciphertext))
        )

    @classmethod
    def parse(cls, text: str) -> Envelope:
        parts = text.split(":")
        if len(parts) != 5 or parts[0] != PREFIX:
            raise MalformedValue("the stored value is not a sealed field (spf1 envelope)")
        try:
            site_id = uuid.UUID(parts[1])
            version = int(parts[2])
            nonce = _unb64(parts[3])
            ciphertext = _unb64(parts[4])
        except ValueError:
            raise MalformedValue("the sealed field's envelope is damaged") from None
        if version < 1 or len(nonce) != NONCE_BYTES or len(ciphertext) < 16:
            raise MalformedValue("the sealed field's envelope is damaged")
        return cls(site_id=site_id, version=version, nonce=nonce, ciphertext=ciphertext)


def is_sealed(text: str) -> bool:
    return text.startswith(PREFIX + ":")


def associated_data(ref: FieldRef, site_id: uuid.UUID, version: int) -> bytes:
    return "|".join(
        (AAD_LABEL, ref.table, str(ref.record_id), ref.field, str(site_id), str(version))
    ).encode()


def seal(key: bytes, ref: FieldRef, site_id: uuid.UUID, version: int, plaintext: str) -> str:
    """Encrypt ``plaintext`` for ``ref`` under the site's data key ``key`` (version ``version``)."""
    if len(key) != KEY_BYTES:
        raise ValueError("a site data key is 32 bytes")
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext.encode(), associated_data(ref, site_id, version))
    return Envelope(site_id, version, nonce, ciphertext).pack()


def open_sealed(key: bytes, ref: FieldRef, envelope: Envelope) -> str:
    """Decrypt ``envelope`` found at ``ref``; ``TamperedValue`` when it does not belong there."""
    aad = associated_data(ref, envelope.site_id, envelope.version)
    try:
        plain = AESGCM(key).decrypt(envelope.nonce, envelope.ciphertext, aad)
    except InvalidTag:
        raise TamperedValue(
            f"the value of {ref.table}.{ref.field} of record {ref.record_id} fails authentication: "
            "altered, or moved from another record, field or key version"
        ) from None
    return plain.decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ValueError("not base64url") from None
