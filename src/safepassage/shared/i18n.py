"""Messages a person may read, in that person's language.

Services and rules refuse with ``say("a household has exactly one head; this one would have
%(heads)s", heads=n)``: the message in the language of whoever the answer is for, placeholders filled.
A page sets its reader's language around the request (``speaking``, in ``web.render.PageRoute``), so
a refusal on a Russian page reads in Russian; the API, the CLI and the logs speak English (no one set a
language). ``say`` is also the marker that ``make messages`` extracts (``-k say``), so the catalogues
hold every such message.

A message is translated where it is made, like Django's ``gettext`` under ``translation.override``:
what is kept (an error stored on a row, a rejects file) is in the language of the request that made it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Translate = Callable[[str], str]

_translate: ContextVar[Translate | None] = ContextVar("safepassage_translate", default=None)


def say(message: str, /, **params: object) -> str:
    """``message`` in the language being spoken (English when none), its ``%(name)s`` filled from
    ``params``. A translation that lost or renamed a placeholder falls back to the English message."""
    translate = _translate.get()
    text = translate(message) if translate is not None else message
    if not params:
        return text
    try:
        return text % params
    except (KeyError, ValueError, TypeError):
        return message % params


@contextmanager
def speaking(translate: Translate) -> Iterator[None]:
    """Within the block (and the threads its work is handed to with its context), ``say`` speaks
    through ``translate``."""
    token = _translate.set(translate)
    try:
        yield
    finally:
        _translate.reset(token)
