"""Messages a person may read, in that person's language.

Services and rules refuse with ``say("a household has exactly one head; this one would have
%(heads)s", heads=n)``: the message in the language of whoever the answer is for, placeholders filled.
A page sets its reader's language around the request (``speaking``, in ``web.render.PageRoute``), so
a refusal on a Russian page reads in Russian; the API, the CLI and the logs speak English (no one set a
language). ``say`` is also the marker that ``make messages`` extracts (``-k say``), so the catalogues
hold every such message.

A message is translated where it is made, like Django's ``gettext`` under ``translation.override``:
what is kept (an error stored on a row, a rejects file) is in the language of the request that made it.

A code in a message (``say("this pair is %(status)s", status=pair.status)``) is passed as its enum
member, never its ``.value``: a page shows it by its label in the reader's language (the pages hand
``speaking`` their labeller), everyone else reads the code itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum

Translate = Callable[[str], str]
Label = Callable[[Enum], str]

_translate: ContextVar[Translate | None] = ContextVar("safepassage_translate", default=None)
_label: ContextVar[Label | None] = ContextVar("safepassage_label", default=None)


def _shown(params: dict[str, object], label: Label | None) -> dict[str, object]:
    """The placeholders' values, a code by its label (or as itself when there is no labeller)."""
    return {
        name: (label(value) if label is not None else value.value) if isinstance(value, Enum) else value
        for name, value in params.items()
    }


def say(message: str, /, **params: object) -> str:
    """``message`` in the language being spoken (English when none), its ``%(name)s`` filled from
    ``params``. A translation that lost or renamed a placeholder falls back to the English message."""
    translate = _translate.get()
    text = translate(message) if translate is not None else message
    if not params:
        return text
    try:
        return text % _shown(params, _label.get())
    except (KeyError, ValueError, TypeError):  # English, and the codes as themselves
        return message % _shown(params, None)


@contextmanager
def speaking(translate: Translate, label: Label | None = None) -> Iterator[None]:
    """Within the block (and the threads its work is handed to with its context), ``say`` speaks
    through ``translate`` and shows codes through ``label``."""
    token = _translate.set(translate)
    labelled = _label.set(label)
    try:
        yield
    finally:
        _label.reset(labelled)
        _translate.reset(token)
