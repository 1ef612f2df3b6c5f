"""Person names in Arabic, Cyrillic and Latin script: script detection, transliteration, matching keys.

Names are stored as written (``normalise_written``). Two derived keys serve search and linking:

* ``latin_key``: ICU transliteration to Latin, folded. Cyrillic goes through ``Russian-Latin/BGN``
  (the generic ``Any-Latin`` drops letters in Russian names), Arabic through ``Arabic-Latin`` after
  Arabic normalisation (alif variants, taa marbuta, alif maqsura, hamza carriers, tatweel, harakat),
  other scripts through ``Any-Latin``. Folding lowercases, strips diacritics, modifier letters and
  apostrophes (``Natalʹya`` -> ``natalya``) and turns every other non-letter into a single space.
* ``skeleton_key``: one consonant skeleton per name token, so that ``Mohammed``, ``Мухаммед`` and
  ``محمد`` all give ``mhmd``. Arabic script carries no short vowels, so vowels cannot be compared.

Skeleton rules (deterministic; applied to the folded Latin form, or letter by letter to Arabic):

* Consonant classes: ``kh``/``h``/Arabic ح خ ه -> ``h``; ``sh``/``ch``/``sch``/``shch``/ش -> ``x``;
  ``j``/``dj``/``dzh``/``zh``/ج -> ``j``; ``ts``/``tz`` (ц) -> ``c``; ``k``/``q``/``ck``/hard ``c`` -> ``k``
  (soft ``c`` before e/i/y -> ``s``); ``x`` -> ``ks`` (Alexander = Александр); ``th`` -> ``t``;
  ``dh`` -> ``d``; ``ph`` -> ``f``; ``gh``/``g`` -> ``g``; ``w``/``v`` -> ``v``; emphatic Arabic
  letters fold onto their plain class (ص s, ض d, ط t, ظ z). For skeletons only, Latin š ş ș -> sh,
  č ç -> ch, ž ż -> zh.
* Vowels (a e i o u, ``y`` and non-initial semivowels) are dropped. A token starting with a vowel,
  with ``ع``/``ء``, or with ``ye`` (Russian Е: Yelena = Elena) gets the neutral marker ``a``
  (Ali = Али = علي = ``al``). Initial ``y`` before anything else is the consonant ``y`` (Yusuf).
  ``w``/و is a consonant at the start of a token or before a vowel (Arabic: also after ا, as in
  داود); otherwise it is the long vowel u (يوسف = Yusuf). ``v`` (Cyrillic в) is always a consonant.
  Arabic ي is a consonant only at the start of a token; a final ه/ة is the vowel a.
* Repeated consonants collapse after vowels are dropped (Mohammed, عزيز = Aziz). A last consonant
  ``h`` is dropped when something precedes it (Fatimah = فاطمة, Saleh = Салех = صالح, Taha = طه).
* Particles: the article (al/el/ul, Cyrillic аль/эль/ал, Arabic ال) is dropped when it is a separate
  token (space or hyphen) followed by another token; Arabic ال joined to a token of 2+ letters is
  dropped (except الياس, الهام, الفت, and a token written with a hamza on its alif: أ/إ/آ is a
  vowel of the name, not the article's alif, so أليسا is Alisa = ``als``, not al-Isa). A joined
  Latin ``al``/``el`` (``Alhassan``) is dropped only when the rest starts with a consonant and has
  3+ consonants, so Ali, Alla, Elena, Alexander keep theirs.
  Sun-letter forms (ad-, ar-, as-, ash-, at-, az-, an-, also e-/u- forms after a hyphen) are dropped
  when the next token starts with the same consonant (ar-Rahman, ash-Shami). bin/ibn/ben/bint,
  бин/ибн, بن/ابن/بنت between two names are dropped. Abd compounds (Abd al-X, Abdul X, Abdel X,
  Abdulrahman, Абдурахман, عبد الرحمن, عبدالرحمن) become one token ``abd`` + skeleton of X.

Accepted collisions and misses (linking ranks candidates with ``latin_key`` and other fields later):
names differing only in vowels or long vowels collide: Hassan = Hussein (حسن/حسين), Mohammed =
Mahmoud (محمد/محمود), Ali = Alla = Eli, Jamil = Jamila, Said = Saad, Alexander = Alexandra.
Russian feminine/masculine surname endings are not unified on purpose; most meet anyway because
vowels are dropped (Ivanov = Ivanova = ``avnv``), the others are left to linking. Ghassan (``gsn``)
!= Hassan: g is not merged with h, so г-as-h spellings (Ибрагим, Магомед, Ukrainian Olha) do not
meet Ibrahim/Mohammed/Olga. Short names give short keys (Yahya ``y``, Layla ``l``). Joined
``Alsayed`` (2 consonants) != Al-Sayed; joined Albert/Alfred lose "al" (Albert = Bert). "Al"/"An"
as given names before another name are read as articles (Al Pacino = Pacino).

Measured speed (this machine, 100k calls drawn from 7.6k distinct three-token names): ``latin_key``
0.065 s and ``skeleton_key`` 0.055 s from an empty cache, 0.01 s warm; a never-seen two-token name
costs about 6 µs (``latin_key``) and 19 µs (``skeleton_key``).
ICU transliterators are created lazily, once per thread, and reused.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import icu  # type: ignore[import-untyped,unused-ignore]

__all__ = [
    "NameKeys",
    "Script",
    "detect_script",
    "latin_key",
    "name_keys",
    "name_tokens",
    "normalise_written",
    "search_keys",
    "skeleton_key",
    "to_latin",
]


class Script(StrEnum):
    """Writing system of a text (letters only; digits, punctuation and marks are ignored)."""

    ARABIC = "arabic"
    CYRILLIC = "cyrillic"
    LATIN = "latin"
    MIXED = "mixed"
    UNKNOWN = "unknown"


_ARABIC_CHARS = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_CYRILLIC_CHARS = "\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f"
_LATIN_CHARS = (
    "A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1d00-\u1dbf\u1e00-\u1eff"
    "\u2c60-\u2c7f\ua720-\ua7ff\uab30-\uab6f\uff21-\uff3a\uff41-\uff5a"
)
_ARABIC_RE = re.compile(f"[{_ARABIC_CHARS}]")
_ARABIC_TOKEN_RE = re.compile(f"[{_ARABIC_CHARS}]+")
_CYRILLIC_RE = re.compile(f"[{_CYRILLIC_CHARS}]")
_LATIN_RE = re.compile(f"[{_LATIN_CHARS}]")
# Runs of letters in neither Latin nor spacing modifier letters (ʹ ʿ ...): left for Any-Latin.
_OTHER_LETTERS_RE = re.compile(f"[^\\W\\d_{_LATIN_CHARS}\u02b0-\u02ff]+")
_TOKEN_RE = re.compile("(?:[^\\W\\d_]|[\u0300-\u036f'`´‘’\u02bc])+")  # apostrophes stay inside
_HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2212"

# fmt: off
_AR_TABLE = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا", "ة": "ه", "ۃ": "ه", "ى": "ي", "ی": "ي",
     "ې": "ي", "ؤ": "و", "ئ": "ي", "ک": "ك", "ـ": None}
)
# fmt: on
_HARAKAT_RE = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u08d3-\u08ff]")
_PRESENTATION_RE = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]+")

_APOSTROPHES = frozenset("'`´‘’‛′″·‹›\u02bc\u055a")
# fmt: off
_FOLD_SPECIAL = {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe",
                 "þ": "th", "ŋ": "n", "ß": "ss"}
_SKELETON_TABLE = str.maketrans({"š": "sh", "ş": "sh", "ș": "sh", "ś": "sh", "č": "ch", "ç": "ch",
                                 "ć": "ch", "ž": "zh", "ż": "zh", "ź": "zh", "ț": "ts"})
# fmt: on

# ICU does not promise that one Transliterator may be used by several threads at once: one per thread.
_local = threading.local()


def _transliterate(transform_id: str, text: str) -> str:
    cache: dict[str, Any] | None = getattr(_local, "transliterators", None)
    if cache is None:
        cache = _local.transliterators = {}
    transliterator = cache.get(transform_id)
    if transliterator is None:
        transliterator = cache[transform_id] = icu.Transliterator.createInstance(transform_id)
    return str(transliterator.transliterate(text))


def detect_script(text: str) -> Script:
    """Return the script of the letters in ``text``; MIXED when several scripts occur.

    Letters of scripts other than Arabic, Cyrillic and Latin count as a script of their own, so
    Latin plus Greek is MIXED and Greek alone is UNKNOWN. No letters at all is UNKNOWN.
    """
    seen: set[str] = set()
    for ch in text:
        if not ch.isalpha() or unicodedata.category(ch) == "Lm":
            continue
        if _LATIN_RE.match(ch):
            seen.add(Script.LATIN)
        elif _CYRILLIC_RE.match(ch):
            seen.add(Script.CYRILLIC)
        elif _ARABIC_RE.match(ch):
            seen.add(Script.ARABIC)
        else:
            seen.add("other")
        if len(seen) > 1:
            return Script.MIXED
    if not seen or "other" in seen:
        return Script.UNKNOWN
    return Script(seen.pop())


def normalise_written(text: str) -> str:
    """Return ``text`` in NFC with whitespace trimmed and collapsed; otherwise exactly as written."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _normalise_arabic_marks(text: str) -> str:
    """Arabic presentation forms to letters; harakat and tatweel dropped (letters left as they are)."""
    text = _PRESENTATION_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return _HARAKAT_RE.sub("", text).replace("ـ", "")


def _normalise_arabic(text: str) -> str:
    """Unify Arabic spelling variants: presentation forms, alif/hamza forms, ة, ى; drop tatweel, harakat."""
    return _normalise_arabic_marks(text).translate(_AR_TABLE)


def to_latin(text: str) -> str:
    """Transliterate ``text`` to Latin script without folding (case and diacritics are kept).

    Cyrillic uses ICU ``Russian-Latin/BGN``; Arabic is normalised (see ``_normalise_arabic``) and
    then uses ICU ``Arabic-Latin``; any other non-Latin letters use ``Any-Latin``; Latin is unchanged.
    """
    result = normalise_written(text)
    if _CYRILLIC_RE.search(result):
        result = _transliterate("Russian-Latin/BGN", result)
    if _ARABIC_RE.search(result):
        result = _transliterate("Arabic-Latin", _normalise_arabic(result))
    if _OTHER_LETTERS_RE.search(result):
        result = _OTHER_LETTERS_RE.sub(lambda m: _transliterate("Any-Latin", m.group()), result)
    return result


def _fold(text: str, skeleton: bool = False) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    if skeleton:
        text = text.translate(_SKELETON_TABLE)
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(ch)
        if category[0] == "L":
            if category != "Lm":
                ch = ch.lower()
                out.append(_FOLD_SPECIAL.get(ch, ch))
        elif category[0] == "M" or category == "Cf" or ch in _APOSTROPHES:
            continue
        else:
            out.append(" ")
    return " ".join("".join(out).split())


@functools.lru_cache(maxsize=65536)
def latin_key(text: str) -> str:
    """Return the folded Latin search key: ``to_latin``, lowercased, without diacritics or modifier
    letters, every other non-letter as one space, trimmed (``"Natalʹya"`` -> ``"natalya"``)."""
    return _fold(to_latin(text))


_VOWEL = "."  # placeholder symbols while building a skeleton
_GLOTTAL = "'"
_MARKER = "a"  # neutral marker for a token that starts with a vowel or with ع/ء
_VOWELS = frozenset("aeiou")
_LATIN_UNIT_RE = re.compile(r"shch|sch|dzh|sh|ch|zh|dj|kh|gh|ph|th|dh|ts|tz|ck|.")
# fmt: off
_LATIN_CLASS = {
    "shch": "x", "sch": "x", "sh": "x", "ch": "x", "dzh": "j", "zh": "j", "dj": "j", "j": "j",
    "kh": "h", "h": "h", "gh": "g", "g": "g", "ph": "f", "f": "f", "th": "t", "t": "t", "dh": "d",
    "d": "d", "ts": "c", "tz": "c", "ck": "k", "k": "k", "q": "k", "b": "b", "p": "p", "v": "v",
    "l": "l", "m": "m", "n": "n", "r": "r", "s": "s", "z": "z",
}
_ARABIC_CLASS = {
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "h", "د": "d", "ذ": "d", "ر": "r",
    "ز": "z", "س": "s", "ش": "x", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "غ": "g", "ف": "f",
    "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "پ": "p", "چ": "x", "ژ": "j",
    "ڤ": "v", "گ": "g", "ٹ": "t", "ڈ": "d", "ڑ": "r", "ں": "n", "ھ": "h", "ع": _GLOTTAL, "ء": _GLOTTAL,
}
# fmt: on


def _latin_symbols(folded: str) -> list[str]:
    units = _LATIN_UNIT_RE.findall(folded)
    symbols: list[str] = []
    for i, unit in enumerate(units):
        nxt = units[i + 1] if i + 1 < len(units) else ""
        if unit == "y":
            symbols.append("y" if i == 0 and nxt not in ("", "e") else _VOWEL)
        elif unit == "w":
            symbols.append("v" if i == 0 or nxt in _VOWELS or nxt == "y" else _VOWEL)
        elif unit == "c":
            symbols.append("s" if nxt in ("e", "i", "y") else "k")
        elif unit == "x":
            symbols.extend(("k", "s"))
        else:
            symbols.append(_LATIN_CLASS.get(unit, _VOWEL))
    return symbols


def _arabic_symbols(word: str) -> list[str]:
    last = len(word) - 1
    symbols: list[str] = []
    for i, ch in enumerate(word):
        nxt = word[i + 1] if i < last else ""
        if ch == "ي":
            symbols.append("y" if i == 0 else _VOWEL)
        elif ch == "و":
            vowel_next = nxt in ("ا", "ي") or (nxt == "ه" and i + 1 == last)
            symbols.append("v" if i == 0 or vowel_next or word[i - 1] == "ا" else _VOWEL)
        elif ch == "ه" and i == last and i > 0:
            symbols.append(_VOWEL)
        else:
            symbols.append(_ARABIC_CLASS.get(ch, _VOWEL))
    return symbols


def _assemble(symbols: list[str]) -> str:
    out: list[str] = []
    if symbols and symbols[0] in (_VOWEL, _GLOTTAL):
        out.append(_MARKER)
    for symbol in symbols:
        if symbol not in (_VOWEL, _GLOTTAL) and (not out or out[-1] != symbol):
            out.append(symbol)
    if len(out) > 1 and out[-1] == "h":
        out.pop()
    return "".join(out)


def _latin_skeleton(folded: str) -> str:
    if folded.startswith("ye"):  # Russian Е: Yelena = Elena, Yevgeniy = Evgeny
        folded = folded[1:]
    return _assemble(_latin_symbols(folded))


_ARTICLES = frozenset({"al", "el", "ul"})
_SUN = re.compile(r"([aeu])(sh|th|dh|[dnrstz])")
_PARTICLES_BIN = frozenset({"bin", "ibn", "ben", "bint", "بن", "ابن", "بنت"})
_ABD_STANDALONE = re.compile(r"abd(?:[aeiou]l)?")
_ABD_SUN = re.compile(r"abd[aeiou](sh|[dnrstz])")
_ABD_JOINED = re.compile(r"abd(?:[aeiou]l?)?")
_AL_JOINED = re.compile(r"[ae]l(?=[^aeiouy])")
_ARABIC_NOT_ARTICLE = frozenset({"الياس", "الهام", "الفت"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "name", "article", "sun", "sun_hyphen", "bin", "abd", "abd_sun"
    skeleton: str  # skeleton of the token when it is kept
    abd_skeleton: str = ""  # skeleton after an Abd prefix (a leading joined al/el/ul also removed)
    consonant: str = ""  # "sun"/"abd_sun": skeleton of the assimilated consonant


@functools.lru_cache(maxsize=65536)
def _classify(raw: str, hamza_alif: bool = False) -> _Token:
    """``raw`` is Arabic-normalised; ``hamza_alif``: it was written with a hamza on its first alif
    (أ إ آ), which is then a vowel of the name, never the article's alif (أليسا is Alisa, not al-Isa)."""
    if _ARABIC_TOKEN_RE.fullmatch(raw):
        if raw == "ال":
            return _Token("article", "al")
        if raw in _PARTICLES_BIN:
            return _Token("bin", "bn", "bn")
        if raw == "عبد":
            return _Token("abd", "abd", "abd")
        if raw.startswith("عبدال") and len(raw) > 6:
            return _Token("name", "abd" + _assemble(_arabic_symbols(raw[5:])))
        if raw.startswith("ال") and len(raw) > 3 and raw not in _ARABIC_NOT_ARTICLE and not hamza_alif:
            raw = raw[2:]
        skeleton = _assemble(_arabic_symbols(raw))
        return _Token("name", skeleton, skeleton)
    folded = _fold(to_latin(raw), skeleton=True).replace(" ", "")
    skeleton = _latin_skeleton(folded)
    if folded in _ARTICLES:
        return _Token("article", skeleton)
    if folded in _PARTICLES_BIN:
        return _Token("bin", skeleton, skeleton)
    if sun := _SUN.fullmatch(folded):
        kind = "sun" if sun.group(1) == "a" else "sun_hyphen"
        return _Token(kind, skeleton, consonant=_latin_skeleton(sun.group(2)))
    if _ABD_STANDALONE.fullmatch(folded):
        return _Token("abd", "abd", "abd")
    if abd_sun := _ABD_SUN.fullmatch(folded):
        return _Token("abd_sun", skeleton, consonant=_latin_skeleton(abd_sun.group(1)))
    abd = _ABD_JOINED.match(folded)
    rest = folded[abd.end() :] if abd else ""
    if not set(rest) <= _VOWELS | {"y"}:
        return _Token("name", "abd" + _latin_skeleton(rest))
    after_article = folded
    if _AL_JOINED.match(folded):
        after_article = folded[2:]
        rest = _latin_skeleton(after_article)
        if len(rest) >= 3:
            skeleton = rest
    return _Token("name", skeleton, _latin_skeleton(after_article))


def _assimilates(particle: _Token, following: _Token | None) -> bool:
    if following is None or following.kind != "name" or following.skeleton.startswith(_MARKER):
        return False
    return following.skeleton.startswith(particle.consonant)


_HAMZA_ALIFS = ("أ", "إ", "آ")


def _tokens(text: str) -> list[str]:
    # Harakat, tatweel and presentation forms go first; the letter table (which turns أ into ا)
    # is applied per token, after noting whether the token starts with a hamza-alif.
    text = _normalise_arabic_marks(normalise_written(text))
    raw: list[tuple[_Token, bool]] = []
    for match in _TOKEN_RE.finditer(text):
        hyphen = match.end() < len(text) and text[match.end()] in _HYPHENS
        word = match.group()
        raw.append((_classify(word.translate(_AR_TABLE), word.startswith(_HAMZA_ALIFS)), hyphen))
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        token, hyphen = raw[i]
        following = raw[i + 1][0] if i + 1 < n else None
        kind = token.kind
        if following is not None and (
            kind == "article"
            or (kind == "sun" and _assimilates(token, following))
            or (kind == "sun_hyphen" and hyphen and _assimilates(token, following))
            or (kind == "bin" and out)
        ):
            i += 1
            continue
        if kind in ("abd", "abd_sun") and following is not None:
            j = i + 1
            while j + 1 < n and raw[j][0].kind in ("article", "sun", "sun_hyphen"):
                j += 1
            target = raw[j][0]
            joins = kind == "abd" or j > i + 1 or _assimilates(token, target)
            if target.kind == "name" and target.abd_skeleton and joins:
                out.append("abd" + target.abd_skeleton)
                i = j + 1
                continue
        if token.skeleton:
            out.append(token.skeleton)
        i += 1
    return out


@functools.lru_cache(maxsize=65536)
def skeleton_key(text: str) -> str:
    """Return the cross-script consonant skeleton of a name: one skeleton per name token (Arabic
    particles handled, Abd compounds joined), separated by single spaces. See the module docstring."""
    return " ".join(_tokens(text))


def name_tokens(text: str) -> list[str]:
    """Return the skeleton tokens of a name (``skeleton_key`` split), particles already handled."""
    return skeleton_key(text).split()


def search_keys(query: str) -> list[str]:
    """Return the distinct skeleton tokens to look up for a free-text query in any script, in order;
    an empty list when the query has no letters."""
    return list(dict.fromkeys(name_tokens(query)))


@dataclass(frozen=True)
class NameKeys:
    """Keys stored next to a name as written: its script, Latin search key and skeleton key."""

    script: Script
    latin: str
    skeleton: str


def name_keys(text: str) -> NameKeys:
    """Compute the script, ``latin_key`` and ``skeleton_key`` of a name (empty keys for empty text)."""
    return NameKeys(script=detect_script(text), latin=latin_key(text), skeleton=skeleton_key(text))
