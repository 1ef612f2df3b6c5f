"""Pure parts of the scan path: a person's state does not depend on the order scans arrive in, and
a pass token verifies only unchanged and under its own key."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from safepassage.movements.models import Checkpoint, Scan, ScanOutcome
from safepassage.movements.passes import BadToken, make_token, normalise_number, read_token
from safepassage.movements.scans import person_state

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
ORIGIN, DEST, LEG = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def _scan(client: str, checkpoint: Checkpoint, minutes: int, outcome=ScanOutcome.ACCEPTED) -> Scan:
    site = DEST if checkpoint is Checkpoint.ARRIVAL else ORIGIN
    return Scan(
        client_id=client,
        checkpoint=checkpoint,
        device_at=T0 + dt.timedelta(minutes=minutes),
        site_id=site,
        leg_id=LEG,
        outcome=outcome,
    )


def test_every_order_of_arrival_gives_the_same_state():
    scans = [
        _scan("a", Checkpoint.ASSEMBLY_CHECK_IN, 0),
        _scan("b", Checkpoint.ASSEMBLY_CHECK_IN, 5),  # a second desk, later
        _scan("c", Checkpoint.BOARDING, 30),
        _scan("d", Checkpoint.ARRIVAL, 240),
        _scan("e", Checkpoint.BOARDING, 300, ScanOutcome.REJECTED),  # rejected scans count for nothing
    ]
    states = {person_state(order) for order in itertools.permutations(scans)}
    assert states == {person_state(scans)}
    assert person_state(scans).state == "arrived" and person_state(scans).site_id == DEST


def test_the_latest_by_device_time_decides_and_ties_break_on_the_client_id():
    rng = random.Random(3)
    scans = [_scan(f"id-{i:03d}", rng.choice(list(Checkpoint)), rng.randrange(20)) for i in range(60)]
    expected = person_state(scans)
    for _ in range(50):
        rng.shuffle(scans)
        assert person_state(scans) == expected
    assert person_state([]).state == "not_seen"


def test_a_token_verifies_only_unchanged_and_under_its_own_key():
    key = Ed25519PrivateKey.generate()
    ids = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    token = make_token(key, *ids)
    claims = read_token(key.public_key(), token)
    assert (claims.pass_id, claims.person_id, claims.leg_id) == ids
    with pytest.raises(BadToken, match="forged or altered"):
        read_token(Ed25519PrivateKey.generate().public_key(), token)
    for i in range(4, len(token)):
        if token[i] == ".":
            continue
        changed = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        with pytest.raises(BadToken):
            read_token(key.public_key(), changed)


def test_a_typed_number_is_read_leniently():
    assert normalise_number("bp 1o2l-3i4k") == "BP-1021-314K"
    assert normalise_number("BP-ABCD-EFGH") == "BP-ABCD-EFGH"


def test_an_arabic_pass_is_shaped_and_right_to_left():
    import io

    from arabic_reshaper import reshape
    from bidi.algorithm import get_display
    from pypdf import PdfReader

    from safepassage.movements.documents import pass_pdf, shaped

    fields = {
        "latin_name": "ALI AL-HASAN",
        "native_name": "علي الحسن",
        "leg": "flight AF-1",
        "origin": "Aleppo (ALP-AP)",
        "destination": "Beirut (BEY-RC)",
        "departure": "2026-12-01 08:00",
        "place": "lap",
        "number": "BP-1234-5678",
    }
    text = PdfReader(io.BytesIO(pass_pdf(fields, "SP1.x.y", "ar"))).pages[0].extract_text()
    # drawn as joined letter forms in display order; the extractor puts them back in reading order
    assert shaped("علي الحسن") == get_display(reshape("علي الحسن")) != "علي الحسن"
    assert reshape("بطاقة الصعود") in text and reshape("علي الحسن") in text
    assert "ALI AL-HASAN" in text and "BP-1234-5678" in text
