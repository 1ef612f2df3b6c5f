"""Comparable columns derived from a record: the table the Fellegi–Sunter model compares.

Everything script-dependent happens here, in Python, once per record, so the model's SQL is plain
equality, edit distance and arithmetic that runs the same on DuckDB and on Spark:

==============  =================================================================================
``given_lat``   folded Latin key of the given name(s) (``Наталья`` -> ``natalya``)
``given_sk``    consonant skeleton of the given name(s) (``ntl``); term frequencies are counted here
``given_first`` first skeleton token (``Mohammed Ali`` and ``Mohammed`` agree on ``mhmd``)
``given_ar``    1 when the given name is written in Arabic script (no vowels: a skeleton agreement is all
                that can be seen, so it is not held against the pair that the Latin keys differ)
``given_snd``   coarse phonetic form of the given name (``names.sound``); ``family_snd`` likewise
``family_lat``  Latin key of the family name in its masculine form (``Ivanova`` -> ``ivanov``)
``family_sk``   skeleton of the family name (articles dropped: ``Al-Hassan`` = ``الحسن`` = ``hsn``)
``family_first`` its first token
``father_sk``   skeleton of the father's given name, patronymics mapped back (``Мухаммедович`` -> ``mhmd``)
``by`` ``bm`` ``bd``  birth year, month, day as given (NULL when not given; never invented)
``bjan1``       1 when the date is a typed 1 January (possibly a year only)
``sex``         ``M``/``F`` or NULL
``doc``         document number key (upper case, no separators) or NULL
``doc_sorted``  its characters sorted (two digits transposed: ``2345058``/``2345085`` agree here)
``phone``       E.164 (or digits) or NULL
``place_sk``    skeleton of the birth place
``nat``         nationalities, sorted, ``;``-joined
``k_*``         blocking keys: sound keys of the given, family and father's names, the two sound
                keys sorted (``k_pair``: swaps meet), the birth year halved two ways (``k_by2a``,
                ``k_by2b``: years one apart always share one of them), the birth year alone (``k_year``:
                tracing sets it from an approximate age while leaving ``by`` empty, and ``k_tol`` to the
                request's tolerance), given and family
                skeletons (``k_name``; ``k_nodate`` only where no birth year is given), the full
                birth date (``k_date``, only a day given and not a 1 January), the document's
                first and second half (``k_doc_head``, ``k_doc_tail``: a number with one digit
                mistyped keeps one of them); see ``model.blocking_rules``
==============  =================================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from safepassage.linking.engine.names import (
    family_skeleton,
    father_skeleton,
    first_token,
    masculine_latin,
    name_skeleton,
    sound,
    sound_key,
)
from safepassage.linking.engine.records import CleanRecord
from safepassage.shared.text import Script, detect_script, latin_key, skeleton_key

__all__ = ["FEATURE_COLUMNS", "feature_table", "features_of"]

FEATURE_COLUMNS: dict[str, str] = {
    "unique_id": "VARCHAR",
    "given_lat": "VARCHAR",
    "given_sk": "VARCHAR",
    "given_first": "VARCHAR",
    "given_ar": "INTEGER",
    "given_snd": "VARCHAR",
    "family_lat": "VARCHAR",
    "family_sk": "VARCHAR",
    "family_first": "VARCHAR",
    "family_snd": "VARCHAR",
    "father_sk": "VARCHAR",
    "by": "INTEGER",
    "bm": "INTEGER",
    "bd": "INTEGER",
    "bjan1": "INTEGER",
    "sex": "VARCHAR",
    "doc": "VARCHAR",
    "doc_sorted": "VARCHAR",
    "phone": "VARCHAR",
    "place_sk": "VARCHAR",
    "place_snd": "VARCHAR",
    "nat": "VARCHAR",
    "k_given": "VARCHAR",
    "k_family": "VARCHAR",
    "k_pair": "VARCHAR",
    "k_father": "VARCHAR",
    "k_by2a": "INTEGER",
    "k_by2b": "INTEGER",
    "k_year": "INTEGER",
    "k_tol": "INTEGER",
    "k_name": "VARCHAR",
    "k_nodate": "VARCHAR",
    "k_date": "VARCHAR",
    "k_doc_head": "VARCHAR",
    "k_doc_tail": "VARCHAR",
}


def _or_none(value: str) -> str | None:
    return value or None


def features_of(clean: CleanRecord) -> dict[str, Any]:
    """The feature row of one valid record (NULL, i.e. ``None``, for anything not given)."""
    record = clean.record
    given_sk = name_skeleton(record.given_name)
    family_sk = family_skeleton(record.family_name)
    given_first = first_token(given_sk)
    family_first = first_token(family_sk)
    father_sk = father_skeleton(record.father_name)
    k_given = sound_key(given_sk)
    k_family = sound_key(family_sk)
    pair = sorted(k for k in (k_given, k_family) if k)
    birth = clean.birth
    k_name = f"{given_sk}|{family_sk}" if given_sk and family_sk else None
    full_date = birth.day is not None and birth.month is not None and not birth.january_first
    document = clean.document
    return {
        "unique_id": record.record_id,
        "given_lat": _or_none(latin_key(record.given_name)),
        "given_sk": _or_none(given_sk),
        "given_first": _or_none(given_first),
        "given_ar": int(detect_script(record.given_name) == Script.ARABIC),
        "given_snd": _or_none(sound(given_sk)),
        "family_lat": _or_none(masculine_latin(record.family_name)),
        "family_sk": _or_none(family_sk),
        "family_first": _or_none(family_first),
        "family_snd": _or_none(sound(family_sk)),
        "father_sk": _or_none(father_sk),
        "by": birth.year,
        "bm": birth.month,
        "bd": birth.day,
        "bjan1": int(birth.january_first),
        "sex": _or_none(clean.sex),
        "doc": _or_none(document),
        "doc_sorted": "".join(sorted(document)) if document else None,
        "phone": _or_none(clean.phone),
        "place_sk": _or_none(skeleton_key(record.birth_place)),
        "place_snd": _or_none(sound(skeleton_key(record.birth_place))),
        "nat": _or_none(";".join(clean.nationalities)),
        "k_given": _or_none(k_given),
        "k_family": _or_none(k_family),
        "k_pair": "|".join(pair) if len(pair) == 2 else None,
        "k_father": _or_none(sound_key(father_sk)),
        "k_by2a": birth.year // 2 if birth.year is not None else None,
        "k_by2b": (birth.year + 1) // 2 if birth.year is not None else None,
        "k_year": birth.year,
        "k_tol": 0,
        "k_name": k_name,
        "k_nodate": k_name if birth.year is None else None,
        "k_date": f"{birth.year}-{birth.month}-{birth.day}" if full_date else None,
        "k_doc_head": document[: (len(document) + 1) // 2] if document else None,
        "k_doc_tail": document[(len(document) + 1) // 2 :] if document else None,
    }


def feature_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """An Arrow table of feature rows, with fixed column types (sorted by record id by the caller)."""
    types = {"VARCHAR": pa.string(), "BOOLEAN": pa.bool_(), "INTEGER": pa.int32()}
    return pa.table(
        {
            name: pa.array([row.get(name) for row in rows], types[kind])
            for name, kind in FEATURE_COLUMNS.items()
        }
    )
