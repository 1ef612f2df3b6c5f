"""Name knowledge for linking, on top of ``safepassage.shared.text`` (used read-only).

``shared.text`` gives two keys per name: ``latin_key`` (ICU transliteration, Russian-Latin/BGN for
Cyrillic) and ``skeleton_key`` (one consonant skeleton per token, articles, bin/ibn and Abd compounds
already handled, so ``Mohammed`` = ``Мухаммед`` = ``محمد`` = ``mhmd``). Linking needs a little more:

* **Patronymics back to the father's given name.** A Russian passport writes the father as a
  patronymic (``Мухаммедович``, ``Николаевна``, ``Ильич``); a list from Aleppo writes him as ``Muhammad``
  or ``bin Muhammad``. ``father_skeleton`` strips the patronymic suffix (and a leading bin/ibn) so all
  give ``mhmd``.
* **Feminine and masculine surname forms.** ``Ivanova``/``Ivanov``, ``Ostrovskaya``/``Ostrovskiy``:
  ``masculine_latin`` folds the Latin key of a surname to one form. (Skeletons already meet, vowels
  being dropped; the Latin key is what separates a true spelling agreement from a skeleton collision.)
* **A coarse phonetic key** (``sound_key``) for blocking: consonant classes merged further (b/p/f/v,
  d/t, s/z/c/x/j, k/g/q, m/n, l/r) on the first four consonants of the skeleton, so one-letter typos
  and voiced/unvoiced confusions (``Mohamad``/``Muhamet``) still meet in a block.
"""

from __future__ import annotations

import functools
import re

from safepassage.shared.text import Script, detect_script, latin_key, skeleton_key

__all__ = [
    "family_skeleton",
    "father_skeleton",
    "first_token",
    "masculine_latin",
    "name_skeleton",
    "sound",
    "sound_key",
    "strip_patronymic",
]

# Longest first: "yevich" before "evich" before "ich". Applied to the folded Latin key of one token.
_PATRONYMIC_SUFFIXES = (
    "inichna",
    "yevich",
    "yevna",
    "ovich",
    "evich",
    "ovna",
    "evna",
    "ichna",
    "ich",
)
_TURKIC_PARTICLES = frozenset({"ogly", "oglu", "ogli", "kyzy", "qizi", "kizi", "оглы", "кызы"})
_BIN = frozenset({"bin", "ibn", "ben", "bint", "бин", "ибн", "بن", "ابن", "بنت"})
_CONSONANTS_RE = re.compile(r"[^aeiouy]")


@functools.lru_cache(maxsize=65536)
def name_skeleton(text: str) -> str:
    """``skeleton_key`` of a name (a hamza-alif and lam, as in ``أليسا`` Alisa or ``إلياس`` Ilyas,
    is read there as the name's first syllable, not as the article)."""
    return skeleton_key(text)


_JOINED_ARTICLE = re.compile(r"^(?:al|el|ul)(?=[^aeiouy])")


@functools.lru_cache(maxsize=65536)
def family_skeleton(text: str) -> str:
    """Skeleton of a family name, with a joined Latin article dropped too (``Elsaleh`` = ``Saleh``,
    ``Altabbaa`` = ``Tabbaa``): ``shared.text`` keeps a joined al/el unless three consonants
    follow, which is right for given names (Alla, Elena) but leaves ``Alsaleh`` apart from
    ``Al-Saleh``. Dropped only when what follows starts with a consonant and has two or more."""
    skeleton = name_skeleton(text)
    words = text.split()
    if len(words) != 1 or detect_script(text) not in (Script.LATIN, Script.CYRILLIC):
        return skeleton
    latin = latin_key(text).replace(" ", "")
    match = _JOINED_ARTICLE.match(latin)
    if match and len(_CONSONANTS_RE.findall(latin[match.end() :])) >= 2:
        return skeleton_key(latin[match.end() :]) or skeleton
    return skeleton


@functools.lru_cache(maxsize=65536)
def strip_patronymic(token_latin: str) -> str:
    """The father's given name inside a folded Latin patronymic (``mukhammedovich`` -> ``mukhammed``,
    ``aliyevna`` -> ``ali``), or the token unchanged when it is not one (a stem of two letters with a
    consonant must remain, so ``Vich`` is left alone)."""
    for suffix in _PATRONYMIC_SUFFIXES:
        if token_latin.endswith(suffix):
            stem = token_latin[: -len(suffix)]
            if len(stem) >= 2 and _CONSONANTS_RE.search(stem):
                return stem
            return token_latin
    return token_latin


@functools.lru_cache(maxsize=65536)
def father_skeleton(text: str) -> str:
    """Skeleton of the father's given name, from a given name, a ``bin X`` form or a patronymic.

    Only the first name is kept (a father field of ``Muhammad Ali`` may carry the grandfather too);
    a Turkic ``X ogly`` keeps ``X``. Empty for an empty field.
    """
    words = [w for w in text.split() if w.casefold() not in _BIN]
    if not words:
        return ""
    words = [w for w in words if w.casefold() not in _TURKIC_PARTICLES] or words
    head = words[0]
    if detect_script(head) in (Script.CYRILLIC, Script.LATIN):
        latin = latin_key(head).replace(" ", "")
        stripped = strip_patronymic(latin)
        if stripped != latin:
            return first_token(skeleton_key(stripped))
    return first_token(name_skeleton(" ".join(words)))


def first_token(skeleton: str) -> str:
    """The first token of a skeleton key (``""`` for an empty key)."""
    return skeleton.split(" ", 1)[0] if skeleton else ""


_FEMININE = (
    ("skaya", "skiy"),
    ("tskaya", "tskiy"),
    ("ova", "ov"),
    ("eva", "ev"),
    ("yova", "yov"),
    ("ina", "in"),
    ("yna", "yn"),
)
_MASCULINE_SKIY = re.compile(r"(sk|tsk)(?:iy|ii|ij|y|i)$")


@functools.lru_cache(maxsize=65536)
def masculine_latin(text: str) -> str:
    """The folded Latin key of a surname in its masculine form, per token (``Ivanova`` -> ``ivanov``,
    ``Ostrovskaya``/``Ostrovsky`` -> ``ostrovskiy``). Non-Slavic surnames pass unchanged (the ``-ina``
    rule needs a Slavic-looking stem of 4+ letters, so ``Amina`` or ``Medina`` are kept)."""
    out: list[str] = []
    for token in latin_key(text).split():
        token = _MASCULINE_SKIY.sub(r"\1iy", token)
        for feminine, masculine in _FEMININE:
            if token.endswith(feminine) and len(token) - len(feminine) >= 3:
                if feminine in ("ina", "yna") and not token[: -len(feminine)].endswith(
                    ("k", "n", "r", "t", "s", "l")
                ):
                    continue
                token = token[: -len(feminine)] + masculine
                break
        out.append(token)
    return " ".join(out)


_SOUND_TABLE = str.maketrans("pfvdzcxjgqmr", "bbbtssssktnl")


@functools.lru_cache(maxsize=65536)
def sound(skeleton: str) -> str:
    """Coarse phonetic form of a whole skeleton: consonant classes merged (b/p/f/v, d/t, s/z/c/sh/j,
    k/g/q, m/n, l/r) and ``ts`` read as one sound. Russian names written in Arabic script take ف for
    v, ب for p and تس for ts (``ايفانوف`` -> ``afnf``; ``Ivanov`` -> ``avnv``): both give ``abnb``.
    An initial ``y`` reads as a vowel (``يلينا`` = ``Elena``)."""
    out: list[str] = []
    for token in skeleton.split():
        if token.startswith("y") and len(token) > 1:  # Arabic ي of Yelena, Yusuf: Latin and
            token = "a" + token[1:]  # Cyrillic spellings often start with a vowel (Elena, Евгений)
        mapped = token.replace("ts", "c").translate(_SOUND_TABLE)
        collapsed: list[str] = []
        for ch in mapped:
            if not collapsed or collapsed[-1] != ch:
                collapsed.append(ch)
        out.append("".join(collapsed))
    return " ".join(out)


def sound_key(skeleton: str) -> str:
    """Blocking key: the first four symbols of the ``sound`` of a skeleton's first token."""
    return first_token(sound(skeleton))[:4]
