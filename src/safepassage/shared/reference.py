"""Reference codes: countries (ISO 3166-1), languages (ISO 639), phone numbers (E.164).

Each ``normalise_*`` function returns the canonical code or raises ValueError with a reason a clerk
can act on. Lookups are cached: imports call them for every row.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
import pycountry

_EXTRA_COUNTRY_NAMES = {
    "syria": "SY",
    "russia": "RU",
    "uk": "GB",
    "сирия": "SY",
    "россия": "RU",
    "سوريا": "SY",
    "روسيا": "RU",
    "لبنان": "LB",
    "ливан": "LB",
}


@functools.lru_cache(maxsize=1024)
def normalise_country(value: str) -> str:
    """ISO 3166-1 alpha-2 code for an alpha-2 or alpha-3 code or an English, Russian or Arabic name."""
    text = value.strip()
    if not text:
        raise ValueError("country is empty")
    folded = text.casefold()
    if folded in _EXTRA_COUNTRY_NAMES:
        return _EXTRA_COUNTRY_NAMES[folded]
    country = None
    if len(text) == 2:
        country = pycountry.countries.get(alpha_2=text.upper())
    elif len(text) == 3:
        country = pycountry.countries.get(alpha_3=text.upper())
    if country is None:
        try:
            country = pycountry.countries.lookup(text)
        except LookupError:
            country = None
    if country is None:
        raise ValueError(f"'{text}' is not an ISO 3166 country code or name")
    return str(country.alpha_2)


@functools.lru_cache(maxsize=1024)
def normalise_language(value: str) -> str:
    """ISO 639-3 code for an ISO 639-1, 639-2 or 639-3 code or an English language name."""
    text = value.strip()
    if not text:
        raise ValueError("language is empty")
    language = None
    lowered = text.lower()
    if len(lowered) == 2:
        language = pycountry.languages.get(alpha_2=lowered)
    elif len(lowered) == 3:
        language = pycountry.languages.get(alpha_3=lowered)
        if language is None:
            language = pycountry.languages.get(bibliographic=lowered)
    if language is None:
        try:
            language = pycountry.languages.lookup(text)
        except LookupError:
            language = None
    if language is None:
        raise ValueError(f"'{text}' is not an ISO 639 language code or name")
    return str(language.alpha_3)


_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@functools.lru_cache(maxsize=65536)
def normalise_phone(value: str, default_region: str = "SY") -> str:
    """The number in E.164 (``+963944123456``); a number without ``+`` is read in ``default_region``."""
    text = value.strip()
    if not text:
        raise ValueError("phone number is empty")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"'{value.strip()}' is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValueError(f"'{value.strip()}' is not a valid phone number for its country")
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not _E164.match(formatted):  # pragma: no cover - phonenumbers guarantees it
        raise ValueError(f"'{value.strip()}' cannot be written in E.164")
    return str(formatted)


def phone_search_forms(value: str, default_region: str = "SY") -> list[str]:
    """E.164 forms to look up for a typed phone number; empty when it cannot be one."""
    try:
        return [normalise_phone(value, default_region)]
    except ValueError:
        return []


_DOC_STRIP = re.compile(r"[\s\-./]")


def document_number_key(value: str) -> str:
    """A document number as compared: upper case, without spaces, dashes, dots or slashes."""
    return _DOC_STRIP.sub("", value).upper()
