"""The audit chain's checker, without a database: every kind of tampering is named, at the right
entry, and an untouched chain passes. (The same tampering on a real database: test_audit.py.)"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from safepassage.security.audit.chain import (
    GENESIS,
    ChainChecker,
    ChainEntry,
    SignedPoint,
    TamperKind,
    VerifyReport,
    canonical,
    checkpoint_message,
    entry_hash,
    head_message,
)
from safepassage.security.audit.signing import PublicKeys, Signer, key_id

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


def _signer() -> Signer:
    private = Ed25519PrivateKey.generate()
    return Signer(private, key_id(private.public_key()))


def _chain(n: int, *, start: str = GENESIS, actor: str = "clerk_aleppo") -> list[ChainEntry]:
    entries, prev = [], start
    for seq in range(1, n + 1):
        e = ChainEntry(
            seq=seq,
            id=uuid.uuid4(),
            at=T0 + dt.timedelta(seconds=seq),
            actor=actor,
            role="registration_clerk",
            action="person.update",
            entity="persons",
            entity_id=str(uuid.uuid4()),
            site_id=None,
            purpose=None,
            address="10.0.0.7",
            flagged=False,
            details={"fields": ["phone"], "count": seq},
            prev_hash=prev,
        )
        prev = entry_hash(e)
        entries.append(dataclasses.replace(e, hash=prev))
    return entries


def _rehash(entries: list[ChainEntry]) -> list[ChainEntry]:
    """What an attacker with database access but no key does: recompute every link."""
    out, prev = [], GENESIS
    for e in entries:
        e = dataclasses.replace(e, prev_hash=prev, hash="")
        prev = entry_hash(e)
        out.append(dataclasses.replace(e, hash=prev))
    return out


def _head(entries: list[ChainEntry], signer: Signer) -> SignedPoint:
    last = entries[-1]
    sig = signer.sign(head_message(last.seq, last.hash))
    return SignedPoint(last.seq, last.hash, sig, signer.key_id, "head")


def _point(entries: list[ChainEntry], seq: int, signer: Signer, source: str = "checkpoint") -> SignedPoint:
    h = entries[seq - 1].hash
    return SignedPoint(seq, h, signer.sign(checkpoint_message(seq, h)), signer.key_id, source)


def _verify(
    entries: list[ChainEntry],
    head: SignedPoint | None,
    signer: Signer,
    checkpoints: list[SignedPoint] = (),  # type: ignore[assignment]
    in_file: list[SignedPoint] = (),  # type: ignore[assignment]
) -> VerifyReport:
    where = {e.hash: e.seq for e in entries}
    checker = ChainChecker(where.get, wanted={p.seq for p in [*checkpoints, *in_file]})
    for e in sorted(entries, key=lambda e: e.seq):
        checker.feed(e)
    return checker.finish(head, checkpoints, in_file, PublicKeys([signer.public]).verify)


def test_an_untouched_chain_is_intact():
    signer = _signer()
    chain = _chain(30)
    report = _verify(
        chain, _head(chain, signer), signer, [_point(chain, 10, signer)], [_point(chain, 20, signer)]
    )
    assert report.intact, report.problems
    assert (report.entries, report.last_seq, report.checkpoints, report.file_checkpoints) == (30, 30, 1, 1)


def test_the_hash_covers_every_field_and_the_previous_hash():
    entry = _chain(1)[0]
    for name, value in {
        "seq": 2, "id": uuid.uuid4(), "at": T0, "actor": "x", "role": "auditor", "action": "a.b",
        "entity": "e", "entity_id": "1", "site_id": uuid.uuid4(), "purpose": "p", "address": "cli:host",
        "flagged": True, "details": {"fields": ["religion"]}, "prev_hash": "f" * 64,
    }.items():  # fmt: skip
        assert entry_hash(dataclasses.replace(entry, **{name: value})) != entry.hash, name


def test_the_canonical_form_ignores_key_order_and_time_zone():
    entry = _chain(1)[0]
    reordered = dataclasses.replace(entry, details=dict(reversed(list(entry.details.items()))))
    elsewhere = dataclasses.replace(entry, at=entry.at.astimezone(dt.timezone(dt.timedelta(hours=3))))
    assert canonical(reordered) == canonical(entry) == canonical(elsewhere)


def test_a_changed_field_is_found_at_its_entry():
    signer = _signer()
    chain = _chain(10)
    head = _head(chain, signer)
    chain[4] = dataclasses.replace(chain[4], actor="someone_else")
    report = _verify(chain, head, signer)
    assert report.first is not None
    assert (report.first.seq, report.first.kind) == (5, TamperKind.CHANGED)


def test_a_change_with_its_own_hash_recomputed_breaks_the_next_link():
    signer = _signer()
    chain = _chain(10)
    head = _head(chain, signer)
    changed = dataclasses.replace(chain[4], purpose="nothing to see", hash="")
    chain[4] = dataclasses.replace(changed, hash=entry_hash(changed))
    report = _verify(chain, head, signer)
    assert report.first is not None
    assert (report.first.seq, report.first.kind) == (5, TamperKind.CHANGED)


def test_a_deleted_entry_is_a_gap():
    signer = _signer()
    chain = _chain(10)
    head = _head(chain, signer)
    del chain[6]
    report = _verify(chain, head, signer)
    assert report.first is not None
    assert (report.first.seq, report.first.kind) == (7, TamperKind.DELETED)


def test_swapped_entries_are_reordered():
    signer = _signer()
    chain = _chain(10)
    head = _head(chain, signer)
    a, b = chain[3], chain[4]  # seq 4 and 5 trade places
    chain[3], chain[4] = dataclasses.replace(b, seq=4), dataclasses.replace(a, seq=5)
    report = _verify(chain, head, signer)
    assert report.first is not None
    assert (report.first.seq, report.first.kind) == (4, TamperKind.REORDERED)


def test_a_cut_tail_under_the_current_head_is_truncated():
    signer = _signer()
    chain = _chain(10)
    head = _head(chain, signer)
    report = _verify(chain[:7], head, signer)
    assert report.first is not None
    assert (report.first.seq, report.first.kind) == (8, TamperKind.TRUNCATED)


def test_a_cut_tail_with_an_old_head_is_caught_by_the_checkpoint_file():
    signer = _signer()
    chain = _chain(10)
    old_head = _head(chain[:7], signer)  # a genuine, older signed head, as in a backup
    in_file = [_point(chain, 9, signer, "checkpoint file")]
    assert _verify(chain[:7], old_head, signer).intact  # without the file nothing shows
    report = _verify(chain[:7], old_head, signer, in_file=in_file)
    assert report.first is not None
    assert (report.first.seq, report.first.kind) == (8, TamperKind.TRUNCATED)
    assert "restored to an older state" in report.first.message


def test_a_chain_recomputed_without_the_key_is_forged():
    signer, attacker = _signer(), _signer()
    chain = _chain(10)
    chain[2] = dataclasses.replace(chain[2], actor="nobody")
    forged = _rehash(chain)
    # the attacker re-signs the head with a key of their own: it is not one the verifier trusts
    report = _verify(forged, _head(forged, attacker), signer)
    assert [p.kind for p in report.problems] == [TamperKind.FORGED]
    # or leaves the old head: it no longer matches
    report = _verify(forged, _head(_chain(10), signer), signer)
    assert TamperKind.FORGED in {p.kind for p in report.problems}


def test_a_recomputed_chain_disagrees_with_a_signed_checkpoint():
    signer = _signer()
    chain = _chain(10)
    checkpoint = _point(chain, 5, signer)
    chain[2] = dataclasses.replace(chain[2], purpose="rewritten")
    forged = _rehash(chain)
    report = _verify(forged, SignedPoint(10, forged[-1].hash, None, None, "head"), signer, [checkpoint])
    assert report.first is not None
    assert (report.first.seq, report.first.kind) == (5, TamperKind.FORGED)


def test_entries_appended_beyond_the_signed_head_are_forged():
    signer = _signer()
    chain = _chain(10)
    report = _verify(chain, _head(chain[:8], signer), signer)
    assert report.first is not None
    assert (report.first.seq, report.first.kind) == (9, TamperKind.FORGED)


@pytest.mark.parametrize("bad", ["", "not base64!", "A" * 88])
def test_a_checkpoint_with_a_bad_signature_is_forged(bad):
    signer = _signer()
    chain = _chain(5)
    point = dataclasses.replace(_point(chain, 3, signer), signature=bad)
    report = _verify(chain, _head(chain, signer), signer, [point])
    assert [(p.seq, p.kind) for p in report.problems] == [(3, TamperKind.FORGED)]


def test_public_keys_read_several_pem_blocks():
    from safepassage.security.audit.signing import public_pem

    a, b = _signer(), _signer()
    keys = PublicKeys.from_pem(public_pem(a.public) + public_pem(b.public))
    assert set(keys.by_id) == {a.key_id, b.key_id}
    message = head_message(1, "0" * 64)
    assert keys.verify(b.key_id, message, b.sign(message))
    assert not keys.verify(a.key_id, message, b.sign(message))
