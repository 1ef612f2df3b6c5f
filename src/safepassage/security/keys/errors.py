"""Why a protected value cannot be read. No message ever holds a value, a key or a key's bytes."""

from __future__ import annotations

import uuid


class FieldCryptoError(Exception):
    """A protected value could not be sealed or opened. Safe to log: it names keys, never values."""


class MalformedValue(FieldCryptoError):
    """The stored text is not an envelope this version understands."""


class TamperedValue(FieldCryptoError):
    """Authentication failed: the ciphertext was altered, or it was moved from another record, field
    or key version (the associated data no longer matches)."""


class KeyShredded(FieldCryptoError):
    """The site data key this value was sealed under was destroyed (``safepassage site shred``)."""

    def __init__(self, site_id: uuid.UUID, version: int) -> None:
        super().__init__(f"the data key of site {site_id} version {version} was shredded")
        self.site_id = site_id
        self.version = version


class KeyUnavailable(FieldCryptoError):
    """The key exists in principle but cannot be used here: its file is missing, the key-encryption
    key that wrapped it is not configured, or no key service was wired into the unit of work."""
