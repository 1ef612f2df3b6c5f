import pytest

from safepassage.registry.codes import SpecificNeed, parse_need
from safepassage.shared.reference import (
    document_number_key,
    normalise_country,
    normalise_language,
    normalise_phone,
)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("SY", "SY"), ("syr", "SY"), ("Syria", "SY"), ("Россия", "RU"), ("RUS", "RU"), ("سوريا", "SY")],
)
def test_countries(raw, code):
    assert normalise_country(raw) == code


def test_unknown_country_is_refused_with_the_value():
    with pytest.raises(ValueError, match="'Atlantis'"):
        normalise_country("Atlantis")


@pytest.mark.parametrize(("raw", "code"), [("ar", "ara"), ("rus", "rus"), ("English", "eng"), ("kur", "kur")])
def test_languages(raw, code):
    assert normalise_language(raw) == code


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0944 123 456", "+963944123456"),
        ("+963 944-123-456", "+963944123456"),
        ("00963944123456", "+963944123456"),
        ("+7 916 123-45-67", "+79161234567"),
    ],
)
def test_phones_become_e164(raw, e164):
    assert normalise_phone(raw, "SY") == e164


@pytest.mark.parametrize("raw", ["12", "not a phone", "+963 12"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_phone(raw, "SY")


def test_document_numbers_compare_without_separators():
    assert document_number_key("75 12-345/67") == document_number_key("7512.34567") == "751234567"


def test_needs_from_unhcr_codes_or_ours():
    assert parse_need("SM") == SpecificNeed.SERIOUS_MEDICAL_CONDITION
    assert parse_need("woman at risk") == SpecificNeed.WOMAN_AT_RISK
    with pytest.raises(ValueError, match="not a specific-needs code"):
        parse_need("XX")
