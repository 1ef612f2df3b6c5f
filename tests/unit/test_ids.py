"""UUIDv7 identifiers: well-formed, ordered within a process, unique, and never shared with a fork."""

from __future__ import annotations

import os
import pickle
import uuid

import pytest

from safepassage.shared import ids


def test_an_identifier_is_a_real_version_7_uuid_equal_to_the_one_the_constructor_makes():
    made = ids.new_id()
    rebuilt = uuid.UUID(str(made))
    assert made == rebuilt and hash(made) == hash(rebuilt) and made.int == rebuilt.int
    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert pickle.loads(pickle.dumps(made)) == made  # noqa: S301 (our own bytes)
    assert {made: 1}[rebuilt] == 1


def test_identifiers_are_unique_and_ordered_across_many_random_batches():
    made = [ids.new_id() for _ in range(20_000)]  # many times the 512 of one read of random bits
    assert len(set(made)) == len(made)
    assert made == sorted(made)  # creation order: the counter within a millisecond
    assert len({m.int & ((1 << 62) - 1) for m in made}) == len(made)  # the random bits differ too


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_reuse_the_parents_random_bits():
    ids.new_id()  # the parent holds a partly used buffer
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the random bits of its next identifiers, then leave at once
        os.close(read)
        bits = b"".join((ids.new_id().int & ((1 << 62) - 1)).to_bytes(8, "big") for _ in range(4))
        os.write(write, bits)
        os._exit(0)
    os.close(write)
    child = os.read(read, 64)
    os.close(read)
    os.waitpid(pid, 0)
    parent = b"".join((ids.new_id().int & ((1 << 62) - 1)).to_bytes(8, "big") for _ in range(4))
    assert len(child) == 32 and child != parent
