"""The field envelope and the KEK, without a database: every way a sealed value can be misused
fails with a clear error, and no error message holds the value."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

import pytest

from safepassage.security.keys import envelope
from safepassage.security.keys.envelope import Envelope, FieldRef, open_sealed, seal
from safepassage.security.keys.errors import KeyUnavailable, MalformedValue, TamperedValue
from safepassage.security.keys.kek import (
    KekConfig,
    KeyRing,
    LocalKek,
    create_key_file,
    read_key_file,
    retired_name,
    secret_kek,
)
from safepassage.security.keys.store import KeyStore, WrappedKey, wrap_aad

SECRET = "canary-Ezidi-7f3a: the person's account"
SITE = uuid.UUID("0190f0c0-0000-7000-8000-000000000001")
PERSON = uuid.UUID("0190f0c0-0000-7000-8000-0000000000aa")
OTHER = uuid.UUID("0190f0c0-0000-7000-8000-0000000000bb")


@pytest.fixture
def key() -> bytes:
    return os.urandom(32)


def ref(record: uuid.UUID = PERSON, field: str = "narrative") -> FieldRef:
    return FieldRef("protection_attributes", record, field)


def test_a_sealed_value_opens_where_it_was_sealed(key):
    text = seal(key, ref(), SITE, 1, SECRET)
    assert SECRET not in text
    assert text.startswith(f"spf1:{SITE}:1:")
    assert open_sealed(key, ref(), Envelope.parse(text)) == SECRET


def test_every_seal_takes_a_fresh_nonce(key):
    a, b = seal(key, ref(), SITE, 1, SECRET), seal(key, ref(), SITE, 1, SECRET)
    assert a != b
    assert Envelope.parse(a).nonce != Envelope.parse(b).nonce
    assert len(Envelope.parse(a).nonce) == 12


def test_unicode_and_empty_text_round_trip(key):
    for text in ("إيزيدي", "Езид", "", "x" * 20000):
        assert open_sealed(key, ref(), Envelope.parse(seal(key, ref(), SITE, 1, text))) == text


def test_a_tampered_ciphertext_fails_authentication(key):
    env = Envelope.parse(seal(key, ref(), SITE, 1, SECRET))
    flipped = bytes([env.ciphertext[0] ^ 1]) + env.ciphertext[1:]
    with pytest.raises(TamperedValue, match="fails authentication") as caught:
        open_sealed(key, ref(), Envelope(env.site_id, env.version, env.nonce, flipped))
    assert SECRET not in str(caught.value)


def test_a_value_moved_to_another_record_fails(key):
    text = seal(key, ref(PERSON), SITE, 1, SECRET)
    with pytest.raises(TamperedValue, match=str(OTHER)):
        open_sealed(key, ref(OTHER), Envelope.parse(text))


def test_a_value_moved_to_another_field_fails(key):
    text = seal(key, ref(field="religion"), SITE, 1, SECRET)
    with pytest.raises(TamperedValue, match="narrative"):
        open_sealed(key, ref(field="narrative"), Envelope.parse(text))


def test_a_value_relabelled_with_another_key_version_or_site_fails(key):
    env = Envelope.parse(seal(key, ref(), SITE, 1, SECRET))
    with pytest.raises(TamperedValue):
        open_sealed(key, ref(), Envelope(env.site_id, 2, env.nonce, env.ciphertext))
    with pytest.raises(TamperedValue):
        open_sealed(key, ref(), Envelope(uuid.uuid4(), 1, env.nonce, env.ciphertext))


def test_the_wrong_key_fails(key):
    text = seal(key, ref(), SITE, 1, SECRET)
    with pytest.raises(TamperedValue):
        open_sealed(os.urandom(32), ref(), Envelope.parse(text))


@pytest.mark.parametrize(
    "text",
    [
        "plain text",
        "spf1:not-a-uuid:1:AAAA:AAAA",
        f"spf1:{SITE}:0:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA",
        "spf1::::",
    ],
)
def test_a_malformed_envelope_is_named_so(text):
    with pytest.raises(MalformedValue):
        Envelope.parse(text)
    assert not envelope.is_sealed("plain text")


def test_the_envelope_format_is_stable(key):
    env = Envelope.parse(seal(key, ref(), SITE, 7, SECRET))
    assert (env.site_id, env.version) == (SITE, 7)
    assert Envelope.parse(env.pack()) == env


# --- the KEK ---------------------------------------------------------------------------------------


def test_a_kek_wraps_and_unwraps_only_with_its_associated_data():
    kek = LocalKek(os.urandom(32), source="test")
    data_key = os.urandom(32)
    blob = kek.wrap(data_key, b"site-a|1")
    assert data_key not in blob
    assert kek.unwrap(blob, b"site-a|1") == data_key
    with pytest.raises(KeyUnavailable):
        kek.unwrap(blob, b"site-b|1")
    with pytest.raises(KeyUnavailable):
        LocalKek(os.urandom(32), source="other").unwrap(blob, b"site-a|1")


def test_a_kek_id_names_the_key_without_revealing_it():
    raw = os.urandom(32)
    a, b = LocalKek(raw, source="file"), LocalKek(raw, source="env")
    assert a.key_id == b.key_id
    assert a.key_id != LocalKek(os.urandom(32), source="x").key_id
    assert raw.hex() not in repr(a) and a.key_id in repr(a)


def test_a_key_file_is_made_private_and_never_over_another(tmp_path: Path):
    path = tmp_path / "keys" / "kek.key"
    made = create_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(path.read_bytes()) == 32
    assert read_key_file(path).key_id == made.key_id
    with pytest.raises(FileExistsError):
        create_key_file(path)


def test_a_key_file_others_may_read_is_refused(tmp_path: Path):
    path = tmp_path / "kek.key"
    create_key_file(path)
    path.chmod(0o644)
    with pytest.raises(KeyUnavailable, match="chmod 600"):
        read_key_file(path)


def test_a_missing_or_short_kek_is_a_clear_error(tmp_path: Path):
    with pytest.raises(KeyUnavailable, match="does not exist"):
        read_key_file(tmp_path / "absent.key")
    with pytest.raises(KeyUnavailable, match="not 32 bytes"):
        secret_kek(base64.b64encode(b"short").decode(), source="SAFEPASSAGE_KEK")
    with pytest.raises(KeyUnavailable, match="not base64"):
        secret_kek("***", source="SAFEPASSAGE_KEK")


def test_the_ring_takes_the_secret_first_and_accepts_retired_files(tmp_path: Path):
    old = create_key_file(tmp_path / "kek.key")
    new_raw = os.urandom(32)
    config = KekConfig(kek_file=tmp_path / "kek.key", kek_secret=base64.b64encode(new_raw).decode())
    ring = config.load(create=False)
    assert ring.current.key_id == LocalKek(new_raw, source="x").key_id
    assert ring.by_id(old.key_id) is not None  # the file becomes a previous KEK
    # a file rotated aside is still accepted
    (tmp_path / "kek.key").rename(retired_name(tmp_path / "kek.key", old.key_id))
    create_key_file(tmp_path / "kek.key")
    ring = KekConfig(kek_file=tmp_path / "kek.key").load(create=False)
    assert ring.by_id(old.key_id) is not None and ring.current.key_id != old.key_id


def test_a_wrapped_key_opens_only_as_its_site_and_version(tmp_path: Path):
    kek = LocalKek(os.urandom(32), source="t")
    store = KeyStore(tmp_path / "sites")
    data_key = os.urandom(32)
    ref_ = store.create(SITE, 1, data_key, kek)
    wrapped = store.read(SITE, ref_)
    assert wrapped.unwrap(KeyRing(kek)) == data_key
    assert data_key not in (tmp_path / "sites" / str(SITE) / f"{ref_}.key").read_bytes()
    relabelled = WrappedKey(SITE, 2, wrapped.kek_id, wrapped.wrapped)
    with pytest.raises(KeyUnavailable):
        relabelled.unwrap(KeyRing(kek))
    with pytest.raises(KeyUnavailable, match="not configured"):
        wrapped.unwrap(KeyRing(LocalKek(os.urandom(32), source="other")))
    assert wrap_aad(SITE, 1) != wrap_aad(SITE, 2)


def test_a_destroyed_key_file_is_gone(tmp_path: Path):
    kek = LocalKek(os.urandom(32), source="t")
    store = KeyStore(tmp_path / "sites")
    ref_ = store.create(SITE, 1, os.urandom(32), kek)
    assert store.destroy(SITE, ref_) is True
    assert store.destroy(SITE, ref_) is False
    with pytest.raises(KeyUnavailable, match="missing"):
        store.read(SITE, ref_)
    assert store.is_empty()
