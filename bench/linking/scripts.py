"""How clerks write a name in another script: the generator's own rules, separate from the engine's.

A consulate clerk copies a Russian passport (Cyrillic, with a patronymic; its Latin page in the ICAO
transliteration of 2013 or an older one); a shelter volunteer writes what she hears in Arabic script
(long vowels only, ة or ه at the end); a field team types Latin in whatever spelling comes to mind.
These functions produce those forms, with their variants, from the tables in ``names.py``.
"""

from __future__ import annotations

import random

# Cyrillic to Latin, one table per transliteration style met on Russian documents.
_ICAO = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
_OLD = {**_ICAO, "й": "y", "ю": "yu", "я": "ya", "ё": "yo", "ъ": "", "ь": ""}
_FRENCH = {**_OLD, "ж": "j", "у": "ou", "х": "kh", "ш": "ch", "щ": "sch", "ч": "tch", "ц": "tz"}
_LAX = {**_OLD, "х": "h", "й": "i", "ь": "'", "ы": "i"}
LATIN_STYLES: tuple[dict[str, str], ...] = (_ICAO, _OLD, _FRENCH, _LAX)
_VOWELS = set("аеёиоуыэюяь")


def cyr_to_latin(text: str, style: dict[str, str]) -> str:
    """Transliterate one Cyrillic name; ``е`` after a vowel or at the start becomes ``ye`` in the
    older styles, as on Soviet-era passports (Елена → Yelena)."""
    out = []
    prev = ""
    for ch in text:
        low = ch.lower()
        if low in style:
            piece = style[low]
            if low == "е" and style is not _ICAO and (not prev or prev in _VOWELS or prev in " -"):
                piece = "ye"
            if ch.isupper() and piece:
                piece = piece[0].upper() + piece[1:]
            out.append(piece)
        else:
            out.append(ch)
        prev = low
    return "".join(out)


def latin_forms(cyrillic: str) -> tuple[str, ...]:
    """All the Latin spellings of a Cyrillic name, ICAO first (what a recent passport shows)."""
    return tuple(dict.fromkeys(cyr_to_latin(cyrillic, style) for style in LATIN_STYLES))


# Cyrillic to Arabic script, as a volunteer writes a Russian name: vowels as long letters.
_AR = {
    "а": "ا", "б": "ب", "в": "ف", "г": "غ", "д": "د", "е": "ي", "ё": "يو", "ж": "ج", "з": "ز",
    "и": "ي", "й": "ي", "к": "ك", "л": "ل", "м": "م", "н": "ن", "о": "و", "п": "ب", "р": "ر",
    "с": "س", "т": "ت", "у": "و", "ф": "ف", "х": "خ", "ц": "تس", "ч": "تش", "ш": "ش", "щ": "ش",
    "ъ": "", "ы": "ي", "ь": "", "э": "ي", "ю": "يو", "я": "يا",
}  # fmt: skip
_AR_INITIAL = {"а": "أ", "о": "أو", "у": "أو", "и": "إي", "е": "ي", "э": "إ", "ю": "يو", "я": "يا"}


def cyr_to_arabic(text: str, *, final_taa: bool = False) -> str:
    """A Russian name in Arabic script; ``final_taa`` writes a final -а as ة (Ивановa → إيفانوفة),
    which some clerks do and most do not."""
    words = []
    for word in text.lower().replace("-", " ").split():
        letters = []
        for i, ch in enumerate(word):
            if i == 0 and ch in _AR_INITIAL:
                letters.append(_AR_INITIAL[ch])
            elif i == len(word) - 1 and ch == "а" and final_taa:
                letters.append("ة")
            else:
                letters.append(_AR.get(ch, ""))
        words.append("".join(letters))
    return " ".join(words)


def arabic_forms(cyrillic: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((cyr_to_arabic(cyrillic), cyr_to_arabic(cyrillic, final_taa=True))))


def feminine_surname(masculine: str) -> str:
    """Иванов → Иванова, Ильин → Ильина, Высоцкий → Высоцкая."""
    if masculine.endswith("ий"):
        return masculine[:-2] + "ая"
    if masculine.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return masculine + "а"
    return masculine


_PATRONYMIC_EXCEPTIONS = {"Пётр": "Петр", "Павел": "Павл", "Лев": "Льв", "Михаил": "Михайл"}


def patronymic(father_cyrillic: str, *, female: bool) -> str:
    """Russian patronymic from a father's given name in Cyrillic: Мухаммед → Мухаммедович /
    Мухаммедовна, Али → Алиевич, Муса → Мусаевич, Сергей → Сергеевна, Юрий → Юрьевич."""
    name = father_cyrillic.split()[-1] if " " in father_cyrillic else father_cyrillic
    name = _PATRONYMIC_EXCEPTIONS.get(name, name)
    masc, fem = "ович", "овна"
    if name.endswith("ий"):
        stem, masc, fem = name[:-2] + "ь", "евич", "евна"
    elif name.endswith(("й", "ь")):
        stem, masc, fem = name[:-1], "евич", "евна"
    elif name.endswith(("и", "е", "у", "ю")) or name.endswith(("а", "я")):
        stem, masc, fem = name, "евич", "евна"
    else:
        stem = name
    return stem + (fem if female else masc)


# Arabic spelling variants a clerk produces without meaning to: hamza on alif, taa marbuta, alif maqsura.
def arabic_variant(text: str, rng: random.Random) -> str:
    out = text
    if rng.random() < 0.5:
        out = out.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
    if rng.random() < 0.4 and out.endswith("ة"):
        out = out[:-1] + "ه"
    if rng.random() < 0.3 and out.endswith("ى"):
        out = out[:-1] + "ي"
    if rng.random() < 0.4 and out.startswith("عبد "):
        out = "عبد" + out[4:]
    if rng.random() < 0.2:
        out = out.replace("ؤ", "و").replace("ئ", "ي")
    return out


_LATIN_ARTICLES = ("Al-", "al-", "Al ", "Al", "El-", "El ", "El", "")
_LATIN_ARTICLE_WEIGHTS = (30, 10, 12, 10, 8, 5, 6, 19)
_CYR_ARTICLES = ("Аль-", "Аль ", "Эль-", "Аль", "")
_CYR_ARTICLE_WEIGHTS = (55, 10, 8, 7, 20)


def with_article(stem: str, script: str, rng: random.Random) -> str:
    """A family name that carries the Arabic article, as each script's clerks write it."""
    if script == "arabic":
        return stem if rng.random() < 0.12 else "ال" + stem
    if script == "cyrillic":
        art = rng.choices(_CYR_ARTICLES, _CYR_ARTICLE_WEIGHTS)[0]
        return art + (stem.lower() if art == "Аль" else stem)
    art = rng.choices(_LATIN_ARTICLES, _LATIN_ARTICLE_WEIGHTS)[0]
    return art + (stem.lower() if art in ("Al", "El") else stem)


_LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_CYR_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщыьэюя"
_AR_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def typo(text: str, script: str, rng: random.Random) -> str:
    """One keying error: a letter dropped, doubled, replaced, or two swapped."""
    if len(text) < 3:
        return text
    letters = _AR_LETTERS if script == "arabic" else _CYR_LETTERS if script == "cyrillic" else _LATIN_LETTERS
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.3:
        return text[:i] + text[i + 1 :]
    if kind < 0.5:
        return text[:i] + text[i] + text[i:]
    if kind < 0.8:
        return text[:i] + rng.choice(letters) + text[i + 1 :]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def script_of(text: str) -> str:
    """The script a name is written in: ``arabic``, ``cyrillic`` or ``latin`` (empty → latin)."""
    for ch in text:
        code = ord(ch)
        if 0x0600 <= code <= 0x06FF:
            return "arabic"
        if 0x0400 <= code <= 0x04FF:
            return "cyrillic"
    return "latin"
