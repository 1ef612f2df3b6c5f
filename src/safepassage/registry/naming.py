"""From names as typed to the rows that store and index them.

One function serves the services (ORM) and the bulk import (plain rows), so both store the same keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from safepassage.registry.codes import NamePart
from safepassage.shared.text import name_keys, name_tokens, normalise_written


@dataclass(frozen=True)
class SpelledName:
    part: NamePart
    position: int
    text: str
    script: str
    is_primary: bool
    latin_key: str
    skeleton_key: str


def spell(part: NamePart, text: str, *, position: int, is_primary: bool) -> SpelledName:
    written = normalise_written(text)
    keys = name_keys(written)
    return SpelledName(part, position, written, keys.script.value, is_primary, keys.latin, keys.skeleton)


def spelled_names(
    primary: dict[NamePart, str | None], others: list[tuple[NamePart, str]]
) -> list[SpelledName]:
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


def tokens_of(names: list[SpelledName]) -> set[str]:
    """Every skeleton token of every spelling: what search in any script looks up."""
    tokens: set[str] = set()
    for name in names:
        tokens.update(t for t in name_tokens(name.text) if t)
    return tokens
