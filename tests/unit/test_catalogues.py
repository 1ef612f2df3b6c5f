"""The Russian and Arabic catalogues cover every string of the pages, and keep their placeholders.

A string left untranslated shows up in English in the middle of a Russian or Arabic page; a
placeholder dropped or altered in a translation raises a KeyError (or shows the wrong value) only
when that page is rendered in that language, which no other test may reach. Both are checked here
against ``messages.pot``, the template ``pybabel extract`` writes from the code and templates.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[2] / "src" / "safepassage" / "locale"
TRANSLATED = ("ru", "ar")
PLURAL_FORMS = {"ru": 3, "ar": 6}

# %(name)s with its flags, width, precision and conversion (so %(n)d -> %(n)s counts as altered), a
# bare %s / %d, and {name} / {name!r} / {name:>4} / {} as str.format writes them. "%%" is a literal
# percent sign, and the space flag is left out so that "100% of" in running text is no placeholder.
_PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0+]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlL]?[diouxXeEfFgGcrsa%]"
)
_BRACE = re.compile(r"(?<!\{)\{(?P<field>[A-Za-z_0-9.\[\]]*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def placeholders(text: str) -> Counter[str]:
    """The placeholders of ``text``, each with how often it occurs."""
    found: Counter[str] = Counter()
    for match in _PERCENT.finditer(text):
        if match.group(0) != "%%":
            found[match.group(0)] += 1
    for match in _BRACE.finditer(text.replace("{{", "").replace("}}", "")):
        found[match.group(0)] += 1
    return found


def _load(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=lang, domain="messages")


def _catalogue(lang: str) -> Catalog:
    return _load(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", lang)


def _forms(message: Message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, (tuple, list)) else (string,)


def _key(message: Message) -> str:
    return str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)


@pytest.fixture(scope="module")
def template() -> Catalog:
    return _load(LOCALE_DIR / "messages.pot")


def test_the_placeholder_check_sees_names_conversions_and_braces() -> None:
    assert placeholders("%(count)d of %(total)s, 100%% {name} {0!r} {{literal}}") == Counter(
        {"%(count)d": 1, "%(total)s": 1, "{name}": 1, "{0!r}": 1}
    )
    assert placeholders("%(count)d sessions") != placeholders("%(count)s сеансов")
    assert placeholders("Shredded: %(date)s") != placeholders("Уничтожено")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_header_declares_the_plural_forms_of_the_language(lang: str) -> None:
    assert _catalogue(lang).num_plurals == PLURAL_FORMS[lang]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_of_the_template_is_translated(template: Catalog, lang: str) -> None:
    catalogue = _catalogue(lang)
    missing = []
    for wanted in template:
        if not wanted.id:
            continue
        message = catalogue.get(wanted.id, context=wanted.context)
        forms = _forms(message) if message is not None else ()
        expected = catalogue.num_plurals if wanted.pluralizable else 1
        if len(forms) != expected or not all(form.strip() for form in forms):
            missing.append(_key(wanted))
    assert missing == [], f"{len(missing)} untranslated in {lang}: run pybabel update, then translate"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_entry_is_fuzzy(lang: str) -> None:
    # A fuzzy entry is left out of the compiled catalogue: the page would show English.
    fuzzy = [_key(m) for m in _catalogue(lang) if m.id and m.fuzzy]
    assert fuzzy == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_every_placeholder(lang: str) -> None:
    altered = []
    for message in _catalogue(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        wanted = placeholders(ids[0])
        if len(ids) > 1:
            # A plural form may leave the number out ("one" written as a word), never anything else.
            allowed = set(wanted) | set(placeholders(ids[1]))
            for form in _forms(message):
                if form and not set(placeholders(form)) <= allowed:
                    altered.append((_key(message), form))
            continue
        for form in _forms(message):
            if form and placeholders(form) != wanted:
                altered.append((_key(message), form))
    assert altered == []
