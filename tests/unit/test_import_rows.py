"""The import's pure parts: header and HXL mapping, encodings and delimiters, one row → a person or
the reasons it is not. No database."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest

from safepassage.registry.codes import ConsentDecision, NamePart, Relationship, Sex, SpecificNeed
from safepassage.registry.importing import mapping
from safepassage.registry.importing.mapping import hxl_field, map_columns
from safepassage.registry.importing.reader import (
    detect_encoding,
    guess_single_byte,
    open_table,
    sniff_delimiter,
)
from safepassage.registry.importing.rows import ImportRecord, RowProblem, RowReader, date_text

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def reader(headers: list[str], hxl: list[str] | None = None) -> RowReader:
    return RowReader(map_columns(headers, hxl), phone_region="SY", today=NOW.date(), now=NOW)


def record(headers: list[str], cells: list[object]) -> ImportRecord:
    outcome = reader(headers)(2, cells)  # type: ignore[arg-type]
    assert isinstance(outcome, ImportRecord), outcome
    return outcome


def problems(headers: list[str], cells: list[object]) -> list[RowProblem]:
    outcome = reader(headers)(5, cells)  # type: ignore[arg-type]
    assert isinstance(outcome, list), outcome
    return outcome


# -- headers and hashtags ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Given Name", "given_name"),
        ("first_name", "given_name"),
        ("  ИМЯ ", "given_name"),
        ("الاسم", "given_name"),
        ("Father's name", "father_name"),
        ("Отчество", "father_name"),
        ("اسم الأب", "father_name"),
        ("Фамилия", "family_name"),
        ("الكنية", "family_name"),
        ("Date of Birth", "birth_date"),
        ("تاريخ الميلاد", "birth_date"),
        ("Phone 2", "phone"),
        ("Телефон", "phone"),
        ("Passport number", "document_number"),
        ("Household ID", "household"),
        ("الجنس", "sex"),
        ("Гражданство", "nationality"),
    ],
)
def test_headers_map_whatever_the_language_case_or_spacing(header: str, field: str) -> None:
    assert map_columns([header]).fields[field][0].header == header.strip()


def test_unknown_columns_are_ignored_and_reported_and_reject_columns_are_silent() -> None:
    columns = map_columns(["first name", "Notes", "first name", "_row", "_field", "_reason", ""])
    assert list(columns.fields) == ["given_name"]
    assert columns.ignored == ["Notes", "first name"]
    assert "second column for given_name" in columns.notes[0]


def test_a_passport_number_column_implies_the_document_type() -> None:
    assert record(["name", "passport number"], ["Ali", "N1"]).person.documents[0].type == "passport"


@pytest.mark.parametrize(
    ("tag", "field"),
    [
        ("#beneficiary+name+first", "given_name"),
        ("#name +first", "given_name"),
        ("#affected+name+last", "family_name"),
        ("#beneficiary+id", "source_id"),
        ("#household+id", "household"),
        ("#beneficiary+household+id", "household"),
        ("#sex", "sex"),
        ("#date+birth", "birth_date"),
        ("#beneficiary+birth", "birth_date"),
        ("#date+dob", "birth_date"),
        ("#contact+phone", "phone"),
        ("#country+nationality", "nationality"),
        ("#loc+birth", "place_of_birth"),
        ("#beneficiary+needs", "needs"),
        ("#meta+id", "source_id"),
        ("#adm1+name", None),
        ("#contact+name", None),
        ("#indicator+vulnerability", None),
        ("not a tag", None),
    ],
)
def test_hxl_hashtags(tag: str, field: str | None) -> None:
    assert hxl_field(tag) == field


def test_hxl_row_wins_over_headers_and_headers_fill_in() -> None:
    columns = map_columns(
        ["Nom", "Prénom", "Phone"], ["#beneficiary+name+last", "#beneficiary+name+first", ""]
    )
    assert {k: [c.header for c in v] for k, v in columns.fields.items()} == {
        "family_name": ["Nom"],
        "given_name": ["Prénom"],
        "phone": ["Phone"],
    }


# -- values ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1990", "1990"),
        ("32874", "1990-01-01"),
        ("32874.0", "1990-01-01"),
        (32874, "1990-01-01"),
        (45000.75, "2023-03-15"),
        ("1990-05-17 00:00:00", "1990-05-17"),
        (dt.datetime(1990, 5, 17), "1990-05-17"),  # noqa: DTZ001 - a workbook cell has no zone
        (dt.date(1990, 5, 17), "1990-05-17"),
        ("17.05.1990", "17.05.1990"),
        (None, ""),
    ],
)
def test_date_cells(value: object, text: str) -> None:
    assert date_text(value) == text  # type: ignore[arg-type]


def test_a_full_row_in_everyday_words() -> None:
    headers = [
        "household",
        "relationship",
        "имя",
        "пол",
        "дата рождения",
        "birth date estimated",
        "nationality",
        "languages",
        "needs",
        "consent",
        "consent_evacuation",
        "consent method",
        "other_spellings",
        "phone",
        "source id",
    ]
    row = [
        "H1",
        "сын",
        "Пётр",
        "м",
        "05.2014",
        "да",
        "RU, Syria",
        "русский; ar",
        "SM; disability",
        "да",
        "нет",
        "устно",
        "Petr; family: Ivanov",
        "+79161234567",
        " 42 ",
    ]
    rec = record(headers, row)
    person = rec.person
    assert (person.relationship_to_head, person.sex) == (Relationship.CHILD, Sex.MALE)
    assert (rec.birth.year, rec.birth.month, rec.birth.day, rec.birth.estimated) == (2014, 5, None, True)
    assert person.nationalities == ["RU", "SY"] and person.languages == ["rus", "ara"]
    assert person.needs == [SpecificNeed.SERIOUS_MEDICAL_CONDITION, SpecificNeed.DISABILITY]
    assert [(c.purpose, c.decision, c.method) for c in person.consents] == [
        ("registration", ConsentDecision.GIVEN, "verbal"),
        ("evacuation", ConsentDecision.WITHDRAWN, "verbal"),
    ]
    assert [(s.part, s.text) for s in person.other_spellings] == [
        (NamePart.GIVEN, "Petr"),
        (NamePart.FAMILY, "Ivanov"),
    ]
    assert (rec.household_ref, rec.source_id, rec.relationship_stated) == ("H1", "42", True)


@pytest.mark.parametrize(
    ("header", "value", "words"),
    [
        ("birth_date", "31/02/1990", "not a real date"),
        ("birth_date", "2090", "in the future"),
        ("birth_date", "1700", "before 1880"),
        ("birth_date", "yesterday", "not a date"),
        ("sex", "maybe", "not a sex"),
        ("relationship", "boss", "not a relationship"),
        ("nationality", "Atlantis", "ISO 3166"),
        ("languages", "Elvish", "ISO 639"),
        ("needs", "ZZ", "specific-needs code"),
        ("phone", "12", "not a valid phone number"),
        ("phone", "9.63944E+11", "scientific notation"),
        ("consent", "perhaps", "neither yes nor no"),
        ("document_expiry", "2030-05", "full date"),
        ("document_type", "passport", "document number"),
        ("category", "vip", "not a category"),
    ],
)
def test_bad_values_name_the_column_and_say_why(header: str, value: str, words: str) -> None:
    found = problems(["first name", header], ["Ali", value])
    assert len(found) == 1
    assert (found[0].row_number, found[0].field) == (
        5,
        "document_number" if header == "document_type" else header,
    )
    assert words in found[0].reason


def test_every_problem_of_a_row_is_reported_not_only_the_first() -> None:
    found = problems(["given_name", "sex", "birth_date"], ["", "maybe", "13/13/2000"])
    assert [p.field for p in found] == ["given_name", "sex", "birth_date"]


def test_pydantic_limits_become_plain_sentences() -> None:
    found = problems(["given_name", "nationality"], ["A" * 201, "SY;RU;LB;JO;IQ;TR"])
    assert {(p.field, p.reason) for p in found} == {
        ("given_name", "is too long (at most 200 characters)"),
        ("nationality", "has too many values (at most 5)"),
    }


def test_empty_and_unreadable_rows() -> None:
    read = reader(["given_name", "notes"])
    assert read(3, ["", "  "]) is None
    assert read(4, []) is None
    unreadable = read(5, ["Al\ufffd", ""])
    assert isinstance(unreadable, list) and "UTF-8" in unreadable[0].reason


def test_the_fingerprint_ignores_stray_columns_and_spacing_but_not_values() -> None:
    read = reader(["given_name", "notes", "sex"])
    a, b, c = (read(2, cells) for cells in (["Ali", "x", "m"], [" Ali ", "y", "M"], ["Ali", "x", "f"]))
    assert isinstance(a, ImportRecord) and isinstance(b, ImportRecord) and isinstance(c, ImportRecord)
    assert a.fingerprint == b.fingerprint != c.fingerprint


# -- files -----------------------------------------------------------------------------------------------


def test_single_byte_code_pages_are_told_apart() -> None:
    arabic = "محمد أحمد الحلبي,فاطمة الشامي\nيوسف,ذكر,أنثى".encode("cp1256")
    cyrillic = "Наталья Ивановна Иванова,Пётр\nСЕРГЕЕВ,мужской,женский".encode("cp1251")
    latin = "José Müller,Françoise,Zoë".encode("cp1252")
    assert guess_single_byte(arabic) == "cp1256"
    assert guess_single_byte(cyrillic) == "cp1251"
    assert guess_single_byte(latin) == "cp1252"


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (codecs.BOM_UTF8 + "имя\nАли\n".encode(), "utf-8-sig"),
        ("\ufeffname\nAli\n".encode("utf-16-le"), "utf-16"),
        ("name\nعلي\n".encode(), "utf-8"),
        (b"name\nAli\n" * 1000 + "Ali,عل\n".encode("cp1256"), "cp1256"),
    ],
)
def test_encoding_detection(tmp_path: Path, raw: bytes, encoding: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(raw)
    assert detect_encoding(path)[0] == encoding


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_sniffing(delimiter: str) -> None:
    lines = [
        delimiter.join(["name", "date", "note"]) + "\n",
        delimiter.join(["Ali", "1.2.1990", "a, b; c"]) + "\n",
    ]
    assert sniff_delimiter(lines) == delimiter


def test_a_title_row_above_the_header_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "titled.csv"
    path.write_text("Partner list, March\n\nfirst name,phone\nAli,0944123456\n", encoding="utf-8")
    with open_table(path, is_header=lambda h, x: mapping.map_columns(h, x).has("given_name")) as table:
        assert table.headers == ["first name", "phone"]
        assert table.header_row == 3
        assert list(table.rows) == [(4, ["Ali", "0944123456"])]


def test_an_oversized_cell_rejects_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text('given_name,notes\nAli,x\nBig,"' + "y" * 140_000 + "\nSami,z\n", encoding="utf-8")
    with open_table(path) as table:
        rows = list(table.rows)
    assert [n for n, _ in rows] == [2, 3, 4]
    broken = reader(["given_name", "notes"])(3, rows[1][1])
    assert isinstance(broken, list) and "cannot be read as CSV" in broken[0].reason
    assert rows[2][1] == ["Sami", "z"]


def test_names_whose_search_keys_overflow_their_columns_are_rejected() -> None:
    found = problems(["given_name", "family_name"], ["Ali", "ش" * 150])  # its Latin key: 300 letters
    assert [(p.field, "too long to be searched" in p.reason) for p in found] == [("family_name", True)]
    long_but_fine = "Abdulrahman Mohammed Ahmad Al-Halabi Al-Shami Ibn Khaldun"
    assert isinstance(reader(["given_name"])(2, [long_but_fine]), ImportRecord)


def test_keys_too_long_for_their_column_name_the_id_by_its_hash() -> None:
    from safepassage.registry.importing.factory import household_key, person_key

    source = "s" * 120
    assert person_key("unicef", "17", "f" * 64) == "unicef:17"
    assert person_key("unicef", None, "f" * 64) == "unicef:" + "f" * 64
    long = person_key(source, "x" * 80, "f" * 64)
    assert len(long) <= 200 and long.startswith(source + ":#")
    assert long == person_key(source, "x" * 80, "0" * 64)  # the same id, the same key
    assert household_key("unicef", "H1") == "unicef:hh:H1"
    assert len(household_key(source, "h" * 80)) <= 200
