"""Languages of the pages: gettext catalogues (en, ru, ar) and the choice of language per request.

Catalogues live in ``safepassage/locale/<lang>/LC_MESSAGES/messages.po``. ``pybabel compile`` makes
the ``.mo`` files at build time; when one is missing or older than its ``.po`` (a fresh checkout, a
translator's edit), it is compiled in memory at start-up, so the pages never run untranslated.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
LANGUAGES: tuple[str, ...] = ("en", "ru", "ar")
RTL_LANGUAGES = frozenset({"ar"})
# Each language named in itself, for the language switch.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "ru": "Русский", "ar": "العربية"}


def catalogue_path(lang: str, suffix: str = ".po") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def compile_catalogue(lang: str) -> Translations:
    """The ``.po`` of ``lang`` compiled in memory (fuzzy entries left out, as ``pybabel compile``)."""
    with catalogue_path(lang).open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The translations of ``lang``: the compiled ``.mo`` when it is up to date, else the ``.po``."""
    po, mo = catalogue_path(lang), catalogue_path(lang, ".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    if po.exists():
        return compile_catalogue(lang)
    return NullTranslations()


def load_all() -> None:
    """Load (and if need be compile) every catalogue once, at start-up."""
    for lang in LANGUAGES:
        translations(lang)


def direction(lang: str) -> str:
    return "rtl" if lang in RTL_LANGUAGES else "ltr"


def supported(value: str | None) -> str | None:
    """``value`` as one of LANGUAGES (``ru-RU`` → ``ru``), or None."""
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The best supported language of an ``Accept-Language`` header, by q-value, first wins ties."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        lang = supported(tag)
        if lang is None:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, lang))
    return min(ranked)[2] if ranked else None


def choose_language(
    *, asked: str | None, remembered: str | None, accept_language: str | None, default: str
) -> str:
    """``?lang=`` first, then the language kept in the session, the browser's, the configured one."""
    for candidate in (supported(asked), supported(remembered), from_accept_language(accept_language)):
        if candidate is not None:
            return candidate
    return supported(default) or LANGUAGES[0]
