"""From names as typed to the rows that store and index them.

One function serves the services (ORM) and the bulk import (plain rows), so both store the same keys.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from safepassage.registry.codes import NamePart
from safepassage.shared.text import name_keys, name_tokens, normalise_written

if TYPE_CHECKING:
    from safepassage.registry.schemas import PersonCreate

Primary = dict[NamePart, str | None]
Others = list[tuple[NamePart, str]]


@dataclass(frozen=True)
class SpelledName:
    part: NamePart
    position: int
    text: str
    script: str
    is_primary: bool
    latin_key: str
    skeleton_key: str


@functools.lru_cache(maxsize=65_536)  # names repeat a lot across a partner's list
def spell(part: NamePart, text: str, *, position: int, is_primary: bool) -> SpelledName:
    written = normalise_written(text)
    keys = name_keys(written)
    return SpelledName(part, position, written, keys.script.value, is_primary, keys.latin, keys.skeleton)


def spelled_names(primary: Primary, others: Others) -> list[SpelledName]:
    """The primary name of each part, then the other spellings, without repeats of the same text."""
    result: list[SpelledName] = []
    seen: set[tuple[NamePart, str]] = set()
    position = 0
    for part in NamePart:
        text = primary.get(part)
        if text and text.strip():
            name = spell(part, text, position=position, is_primary=True)
            seen.add((part, name.text))
            result.append(name)
            position += 1
    for part, text in others:
        if not text or not text.strip():
            continue
        name = spell(part, text, position=position, is_primary=False)
        if (part, name.text) in seen:
            continue
        seen.add((part, name.text))
        result.append(name)
        position += 1
    return result


def tokens_of(texts: Iterable[str]) -> set[str]:
    """Every skeleton token of every spelling: what search in any script looks up."""
    tokens: set[str] = set()
    for text in texts:
        tokens.update(_tokens(text))
    return tokens


@functools.lru_cache(maxsize=65_536)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t for t in name_tokens(text) if t)


def name_parts(cmd: PersonCreate) -> tuple[Primary, Others]:
    """The primary spelling of each part and the other spellings, as ``spelled_names`` takes them."""
    primary: Primary = {
        NamePart.GIVEN: cmd.given_name,
        NamePart.FATHER: cmd.father_name,
        NamePart.GRANDFATHER: cmd.grandfather_name,
        NamePart.FAMILY: cmd.family_name,
    }
    return primary, [(s.part, s.text) for s in cmd.other_spellings]
