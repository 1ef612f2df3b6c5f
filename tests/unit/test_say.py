"""``say``: a service's message in the language of whoever is answered, English where no one set one."""

from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context

from safepassage.shared.i18n import say, speaking

RU = {
    "the purpose is too long": "цель слишком длинная",
    "at most %(n)s characters": "не более %(n)s символов",
}


def test_english_when_no_one_speaks() -> None:
    assert say("at most %(n)s characters", n=300) == "at most 300 characters"
    assert say("100% sure") == "100% sure"  # no placeholders: nothing formatted


def test_a_page_speaks_its_language_and_only_within_its_block() -> None:
    with speaking(lambda m: RU.get(m, m)):
        assert say("the purpose is too long") == "цель слишком длинная"
        assert say("at most %(n)s characters", n=300) == "не более 300 символов"
        assert say("not in the catalogue") == "not in the catalogue"
    assert say("the purpose is too long") == "the purpose is too long"


def test_a_broken_translation_falls_back_to_english() -> None:
    with speaking(lambda m: "не более %(count)s символов"):  # a translator renamed the placeholder
        assert say("at most %(n)s characters", n=5) == "at most 5 characters"


def test_the_language_follows_work_handed_to_a_thread_with_its_context() -> None:
    with speaking(lambda m: RU.get(m, m)):
        context = copy_context()
    with ThreadPoolExecutor(1) as pool:  # as Starlette runs a page's sync endpoint
        assert pool.submit(context.run, say, "the purpose is too long").result() == "цель слишком длинная"
        assert pool.submit(say, "the purpose is too long").result() == "the purpose is too long"


def test_a_code_shows_by_its_label_on_a_page_and_as_itself_elsewhere() -> None:
    from safepassage.linking.models import PairStatus
    from safepassage.web import i18n, labels

    message = "this pair is %(status)s"
    assert say(message, status=PairStatus.REJECTED) == "this pair is rejected"
    gettext = i18n.translations("ru").gettext
    with speaking(gettext, lambda code: labels.label(gettext, code)):
        shown = say(message, status=PairStatus.REJECTED)
    expected = gettext(message) % {"status": labels.label(gettext, PairStatus.REJECTED)}
    assert (
        shown == expected and "rejected" not in shown and shown != gettext(message) % {"status": "rejected"}
    )
    with speaking(lambda m: "эта пара %(state)s"):  # a broken translation: English, the code as itself
        assert say(message, status=PairStatus.REJECTED) == "this pair is rejected"
