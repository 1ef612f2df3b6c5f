"""Keys and field encryption: the KEK (outside the database), site data keys (wrapped, in the
keystore), the field envelope, and the key use cases (status, rotation, shred).

See docs/security-keys.md for the hierarchy, where each key lives, rotation and the shred procedure.
"""

from safepassage.security.keys.envelope import FieldRef, is_sealed
from safepassage.security.keys.errors import (
    FieldCryptoError,
    KeyShredded,
    KeyUnavailable,
    MalformedValue,
    TamperedValue,
)
from safepassage.security.keys.kek import KekConfig, KeyEncryptionKey, KeyRing, LocalKek
from safepassage.security.keys.models import KeyState, SiteKey
from safepassage.security.keys.service import FIELD_KEYS, FieldKeys, field_keys
from safepassage.security.keys.store import KeyStore

__all__ = [
    "FIELD_KEYS",
    "FieldCryptoError",
    "FieldKeys",
    "FieldRef",
    "KekConfig",
    "KeyEncryptionKey",
    "KeyRing",
    "KeyShredded",
    "KeyState",
    "KeyStore",
    "KeyUnavailable",
    "LocalKek",
    "MalformedValue",
    "SiteKey",
    "TamperedValue",
    "field_keys",
    "is_sealed",
]
