"""The second factor's arithmetic (time steps, drift window, replay) and sealing, and the password
hash's parameters: no database."""

from __future__ import annotations

import datetime as dt
import uuid

import pyotp
import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from argon2.low_level import Type
from argon2.profiles import RFC_9106_LOW_MEMORY
from cryptography.exceptions import InvalidTag

from safepassage.security import accounts, totp
from safepassage.security.accounts import verify_password

SEED = pyotp.random_base32(32)
AT = dt.datetime(2026, 11, 22, 12, 0, 10, tzinfo=dt.UTC)  # 10 s into a 30-second step


@pytest.fixture(autouse=True)
def fast_password_hashing() -> None:
    """Overrides the suite's cheap hasher: here the production one is under test."""


def code(at: dt.datetime, seed: str = SEED) -> str:
    return str(pyotp.TOTP(seed).at(at))


def test_the_current_code_matches_its_own_step() -> None:
    assert totp.matching_step(SEED, code(AT), AT, after=None) == totp.time_step(AT)


def test_one_step_of_drift_either_way_is_accepted_and_no_more() -> None:
    step = dt.timedelta(seconds=30)
    now = totp.time_step(AT)
    assert totp.matching_step(SEED, code(AT - step), AT, after=None) == now - 1
    assert totp.matching_step(SEED, code(AT + step), AT, after=None) == now + 1
    assert totp.matching_step(SEED, code(AT - 2 * step), AT, after=None) is None
    assert totp.matching_step(SEED, code(AT + 2 * step), AT, after=None) is None


def test_a_code_of_the_last_accepted_step_or_an_earlier_one_is_refused() -> None:
    now = totp.time_step(AT)
    assert totp.matching_step(SEED, code(AT), AT, after=now) is None  # replayed
    assert totp.matching_step(SEED, code(AT - dt.timedelta(seconds=30)), AT, after=now) is None
    assert totp.matching_step(SEED, code(AT), AT, after=now - 1) == now  # the next step is fine


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_are_refused(typed: str) -> None:
    assert totp.matching_step(SEED, typed, AT, after=None) is None


def test_a_code_typed_with_a_space_is_read() -> None:
    typed = code(AT)
    assert totp.matching_step(SEED, f"{typed[:3]} {typed[3:]}", AT, after=None) == totp.time_step(AT)


def test_another_seed_s_code_is_refused() -> None:
    other = pyotp.random_base32(32)
    assert totp.matching_step(SEED, code(AT, other), AT, after=None) is None  # 3 in a million to collide


def test_a_sealed_seed_opens_only_for_its_account_and_key() -> None:
    key = totp.sealing_key("server-secret")
    owner = uuid.uuid4()
    sealed = totp.seal(key, owner, SEED)
    assert SEED not in sealed
    assert totp.unseal(key, owner, sealed) == SEED
    with pytest.raises(InvalidTag):
        totp.unseal(key, uuid.uuid4(), sealed)  # copied onto another account
    with pytest.raises(InvalidTag):
        totp.unseal(totp.sealing_key("another secret"), owner, sealed)


def test_the_enrolment_qr_code_is_an_inline_svg_without_script_or_style() -> None:
    enrolment = totp.Enrolment(
        secret=SEED, uri=pyotp.TOTP(SEED).provisioning_uri(name="x", issuer_name="SafePassage")
    )
    svg = enrolment.qr_svg()
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg


def test_passwords_are_hashed_with_argon2id_at_rfc_9106_low_memory_parameters_or_above() -> None:
    produced = accounts.HASHER.hash("correct-horse-battery-staple")
    # $argon2id$v=19$m=65536,t=3,p=4$salt$hash
    _, variant, version, params, _salt, _digest = produced.split("$")
    values = dict(item.split("=") for item in params.split(","))
    assert variant == "argon2id" and version == "v=19"
    assert int(values["m"]) >= RFC_9106_LOW_MEMORY.memory_cost == 64 * 1024
    assert int(values["t"]) >= RFC_9106_LOW_MEMORY.time_cost == 3
    assert int(values["p"]) >= RFC_9106_LOW_MEMORY.parallelism == 4
    assert accounts.HASHER.type is Type.ID
    assert verify_password(produced, "correct-horse-battery-staple")
    assert not verify_password(produced, "wrong")
    assert not verify_password("not a hash", "anything")


def test_a_weaker_stored_hash_still_verifies_and_needs_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw-pw-pw-pw-pw")
    assert verify_password(weak, "pw-pw-pw-pw-pw")
    assert accounts.HASHER.check_needs_rehash(weak)
    with pytest.raises(VerificationError):
        accounts.HASHER.verify(weak, "other")
