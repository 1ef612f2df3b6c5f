"""Bulk import of partner lists, end to end on the database (SQLite, or PostgreSQL when
SAFEPASSAGE_TEST_DATABASE_URL is set). Every sample file is synthetic and made here."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from safepassage.bootstrap import Container
from safepassage.history import ChangeRecord
from safepassage.registry import schemas, services
from safepassage.registry.codes import NamePart, Relationship
from safepassage.registry.importing import ImportReport, import_file
from safepassage.registry.models import Household, ImportBatch, NameToken, Person, PersonName, Phone
from safepassage.registry.naming import spelled_names, tokens_of
from safepassage.security.policy import Actor, Role
from safepassage.shared.errors import Forbidden, Invalid

pytestmark = pytest.mark.db

HEADER = [
    "household",
    "relationship",
    "given_name",
    "family_name",
    "sex",
    "birth_date",
    "nationality",
    "phone",
]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read_rejects(report: ImportReport) -> list[dict[str, str]]:
    assert report.rejects_path is not None
    with report.rejects_path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def run(container: Container, path: Path, actor: Actor, site_id: uuid.UUID, **kwargs: object) -> ImportReport:
    return import_file(container.uow(), path, actor=actor, site_id=site_id, **kwargs)  # type: ignore[arg-type]


def count(container: Container, model: type) -> int:
    with container.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def persons(container: Container) -> list[Person]:
    with container.session_factory() as session:
        people = list(session.scalars(select(Person).order_by(Person.id)))
        for person in people:
            _ = (
                person.names,
                person.phones,
                person.documents,
                person.needs,
                person.consents,
                person.intentions,
            )
        return people


def test_cp1256_arabic_file(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "aleppo.csv",
        [
            ["الأسرة", "القرابة", "الاسم", "اسم الأب", "الكنية", "الجنس", "تاريخ الميلاد", "الجنسية"],
            ["A1", "رب الأسرة", "محمد", "أحمد", "الحلبي", "ذكر", "1980", "سوريا"],
            ["A1", "زوجة", "فاطمة", "علي", "الشامي", "أنثى", "1984-03", "SY"],
            ["A1", "ابن", "يوسف", "محمد", "الحلبي", "ذكر", "17/05/2012", "SY"],
        ],
        encoding="cp1256",
    )
    report = run(container, path, clerk_aleppo, site_id)
    assert report.encoding == "cp1256"
    assert (report.persons_created, report.households_created, report.rows_rejected) == (3, 1, 0)
    people = persons(container)
    head = people[0]
    assert head.display_name() == "محمد أحمد الحلبي"
    assert head.relationship_to_head == Relationship.HEAD
    assert [p.relationship_to_head for p in people[1:]] == [Relationship.SPOUSE, Relationship.CHILD]
    assert (people[1].birth_year, people[1].birth_month, people[1].birth_day) == (1984, 3, None)
    assert people[2].birth_date.iso() == "2012-05-17"
    assert people[0].nationalities == ["SY"]


def test_cp1251_cyrillic_with_semicolons(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "moscow.csv",
        [
            [
                "Семья",
                "Родство",
                "Фамилия",
                "Имя",
                "Отчество",
                "Пол",
                "Дата рождения",
                "Гражданство",
                "Телефон",
            ],
            [
                "R7",
                "глава",
                "Иванова",
                "Наталья",
                "Ивановна",
                "ж",
                "12.04.1986",
                "Россия",
                "+7 916 123-45-67",
            ],
            ["R7", "сын", "Иванов", "Пётр", "Сергеевич", "м", "2015", "RU", ""],
        ],
        encoding="cp1251",
        delimiter=";",
    )
    report = run(container, path, clerk_aleppo, site_id)
    assert (report.encoding, report.delimiter) == ("cp1251", ";")
    assert report.persons_created == 2, report.problems
    people = persons(container)
    assert people[0].display_name() == "Наталья Ивановна Иванова"
    assert people[0].primary_name(NamePart.FATHER) is not None
    assert [p.e164 for p in people[0].phones] == ["+79161234567"]
    assert people[1].display_name() == "Пётр Сергеевич Иванов"


def test_bom_excel_serials_empty_rows_and_stray_columns(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "partner.csv",
        [
            ["Given Name", "Surname", "DOB", "Notes", "Sex"],
            ["Ali", "Hassan", "32874", "stray note", "M"],
            ["", "", "", "", ""],
            [],
            ["Mona", "Hassan", "1990-05-17 00:00:00", "", "female", "an extra cell"],
        ],
        encoding="utf-8-sig",
    )
    report = run(container, path, clerk_aleppo, site_id)
    assert report.encoding == "utf-8-sig"
    assert (report.rows_read, report.empty_rows, report.persons_created) == (2, 2, 2)
    assert report.ignored_columns == ["Notes"]
    ali, mona = persons(container)
    assert ali.birth_date.iso() == "1990-01-01"  # Excel's day 32874
    assert mona.birth_date.iso() == "1990-05-17"
    assert ali.household_id != mona.household_id  # no household column: each heads their own
    assert ali.relationship_to_head == Relationship.HEAD


def test_xlsx_with_real_date_cells(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Persons"
    sheet.append(
        [
            "household",
            "relationship",
            "first name",
            "last name",
            "date of birth",
            "phone",
            "expiry date",
            "passport number",
        ]
    )
    sheet.append(
        [
            "X1",
            "head",
            "Omar",
            "Saleh",
            dt.datetime(1975, 2, 3),  # noqa: DTZ001 - a workbook cell has no zone
            963944123456,
            dt.date(2031, 1, 1),
            "N123",
        ]
    )
    sheet.append([None, None, None, None, None, None, None, None])
    sheet.append(["X1", "daughter", "Lina", "Saleh", 40000, None, None, None])
    path = tmp_path / "list.xlsx"
    book.save(path)
    report = run(container, path, clerk_aleppo, site_id)
    assert report.format == "xlsx" and report.sheet == "Persons"
    assert (report.persons_created, report.empty_rows, report.rows_rejected) == (2, 1, 0), report.problems
    omar, lina = persons(container)
    assert omar.birth_date.iso() == "1975-02-03"
    assert [p.e164 for p in omar.phones] == ["+963944123456"]
    assert omar.documents[0].type == "passport" and omar.documents[0].expiry_date == dt.date(2031, 1, 1)
    assert lina.birth_date.iso() == "2009-07-06"  # 40000 days after 1899-12-30


def test_hxl_hashtag_row(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "hxl.csv",
        [
            ["ID", "HH", "Rel", "Prénom", "Nom", "Gender", "Born", "Mobile", "Vuln"],
            [
                "#beneficiary+id",
                "#household+id",
                "#beneficiary+relationship",
                "#beneficiary+name+first",
                "#beneficiary+name+last",
                "#beneficiary+sex",
                "#date+birth",
                "#contact+phone",
                "#beneficiary+needs",
            ],
            ["B-1", "H-9", "head", "Sami", "Khoury", "m", "1970", "0944123456", "SM;DS"],
            ["B-2", "H-9", "spouse", "Rana", "Khoury", "f", "1972", "", ""],
        ],
    )
    report = run(container, path, clerk_aleppo, site_id, source="partner-x")
    assert report.persons_created == 2, report.problems
    sami, rana = persons(container)
    assert sami.display_name() == "Sami Khoury"
    assert [str(n) for n in sami.need_codes] == ["disability", "serious_medical_condition"]
    assert sami.household_id == rana.household_id
    with container.engine.connect() as conn:
        keys = set(conn.scalars(select(Person.source_key)))
        assert keys == {"partner-x:B-1", "partner-x:B-2"}
        assert conn.scalar(select(Household.source_key)) == "partner-x:hh:H-9"


def _bad_file(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "mixed.csv",
        [
            [*HEADER, "needs"],
            ["H1", "head", "Ali", "Hassan", "m", "1980", "SY", "+963944123456", ""],  # 2 valid
            ["H1", "spouse", "Mona", "Hassan", "f", "31/02/1985", "SY", "", ""],  # 3 bad date
            ["H1", "child", "Sami", "Hassan", "m", "2010", "SY", "12", ""],  # 4 bad phone
            ["H2", "head", "Rami", "Nasser", "m", "1975", "Narnia", "", ""],  # 5 bad country
            ["H2", "child", "Dana", "Nasser", "f", "2012", "SY", "", "ZZ"],  # 6 unknown need
            ["H2", "child", "", "Nasser", "f", "2014", "SY", "", ""],  # 7 no given name
            ["H1", "head", "Omar", "Hassan", "m", "1950", "SY", "", ""],  # 8 second head
            ["H3", "head", "Nour", "Aziz", "f", "1999", "LB", "", ""],  # 9 valid
        ],
    )


def test_bad_rows_go_to_rejects_with_row_field_and_reason(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    report = run(container, _bad_file(tmp_path), clerk_aleppo, site_id)
    assert (report.rows_read, report.persons_created, report.rows_rejected) == (8, 2, 6)
    assert report.rejects_path == tmp_path / "mixed.rejects.csv"
    rejects = read_rejects(report)
    assert [(r["_row"], r["_field"]) for r in rejects] == [
        ("3", "birth_date"),
        ("4", "phone"),
        ("5", "nationality"),
        ("6", "needs"),
        ("7", "given_name"),
        ("8", "relationship"),
    ]
    reasons = [r["_reason"] for r in rejects]
    assert "31/02/1985" in reasons[0] and "not a real date" in reasons[0]
    assert "'12'" in reasons[1] and "phone" in reasons[1]
    assert "Narnia" in reasons[2]
    assert "ZZ" in reasons[3]
    assert "given name" in reasons[4]
    assert "already has a head" in reasons[5]
    assert rejects[0]["given_name"] == "Mona"  # the original values, ready to correct
    problem = report.problems[0]
    assert (problem.row_number, problem.field, problem.value) == (3, "birth_date", "31/02/1985")
    with container.engine.connect() as conn:
        batch = conn.execute(select(ImportBatch)).one()
    assert (batch.rows_read, batch.persons_created, batch.rows_rejected, batch.status) == (8, 2, 6, "done")
    assert batch.rejects_path == str(report.rejects_path)


def test_reimport_creates_nothing_and_fixed_rejects_import(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    path = _bad_file(tmp_path)
    first = run(container, path, clerk_aleppo, site_id)
    again = run(container, path, clerk_aleppo, site_id)
    assert (again.persons_created, again.households_created, again.rows_already_imported) == (0, 0, 2)
    assert again.rows_rejected == first.rows_rejected
    assert count(container, Person) == 2

    rejects = read_rejects(again)
    fixes = {
        "3": ("birth_date", "28/02/1985"),
        "4": ("phone", "0944123456"),
        "5": ("nationality", "Syria"),
        "6": ("needs", "SM"),
        "7": ("given_name", "Huda"),
        "8": ("relationship", "parent"),
    }
    for row in rejects:
        column, value = fixes[row["_row"]]
        row[column] = value
    assert again.rejects_path is not None
    with again.rejects_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rejects[0]))
        writer.writeheader()
        writer.writerows(rejects)
    fixed = run(container, again.rejects_path, clerk_aleppo, site_id)
    assert (fixed.persons_created, fixed.rows_rejected, fixed.households_created) == (6, 0, 1), fixed.problems
    assert fixed.source == "mixed"  # the rejects file joins its original's households
    assert fixed.ignored_columns == []  # _row, _field and _reason are left out quietly
    people = persons(container)
    by_name = {p.display_name(): p for p in people}
    assert by_name["Omar Hassan"].household_id == by_name["Ali Hassan"].household_id
    assert by_name["Omar Hassan"].relationship_to_head == Relationship.PARENT
    heads = [p for p in people if p.relationship_to_head == Relationship.HEAD]
    assert len(heads) == 3 == count(container, Household)
    assert run(container, again.rejects_path, clerk_aleppo, site_id).persons_created == 0


def test_household_without_head_gets_its_first_adult(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "nohead.csv",
        [
            HEADER,
            ["K1", "child", "Adam", "Karam", "m", "2015", "SY", ""],
            ["K1", "", "Salma", "Karam", "f", "1980", "SY", ""],
            ["K1", "sibling", "Hadi", "Karam", "m", "1982", "SY", ""],
        ],
    )
    report = run(container, path, clerk_aleppo, site_id)
    assert report.persons_created == 3
    assert any("K1" in w and "first adult" in w for w in report.warnings)
    assert any("no relationship" in w for w in report.warnings)
    adam, salma, hadi = persons(container)
    assert salma.relationship_to_head == Relationship.HEAD
    assert (adam.relationship_to_head, hadi.relationship_to_head) == (
        Relationship.CHILD,
        Relationship.SIBLING,
    )
    with container.engine.connect() as conn:
        change = conn.execute(select(ChangeRecord).where(ChangeRecord.action == "update")).one()
    assert (change.entity_id, change.field, change.new_value) == (
        str(salma.id),
        "relationship_to_head",
        "head",
    )


def test_households_span_batches_and_history_is_written(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    rows = [HEADER]
    for h in range(4):
        rows.append([f"F{h}", "child", f"Kid{h}", "Nassar", "m", "2016", "SY", ""])
        rows.append([f"F{h}", "head", f"Parent{h}", "Nassar", "f", "1979", "SY", ""])
        rows.append([f"F{h}", "head", f"Second{h}", "Nassar", "f", "1979", "SY", ""])
    path = write_csv(tmp_path / "batches.csv", rows)
    progress: list[int] = []
    report = run(container, path, clerk_aleppo, site_id, batch_size=2, progress=progress.append)
    assert (report.persons_created, report.households_created, report.rows_rejected) == (8, 4, 4)
    assert progress[-1] == 12 and progress == sorted(progress)
    with container.engine.connect() as conn:
        heads = conn.scalar(
            select(func.count()).select_from(Person).where(Person.relationship_to_head == Relationship.HEAD)
        )
        created = conn.execute(
            select(ChangeRecord.entity, ChangeRecord.actor)
            .where(ChangeRecord.action == "create")
            .where(ChangeRecord.entity.in_(["persons", "households"]))
        ).all()
    assert heads == 4
    assert sorted(e for e, _ in created) == ["households"] * 4 + ["persons"] * 8
    assert {a for _, a in created} == {"clerk_aleppo"}


def test_stored_names_and_tokens_match_the_services(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "names.csv",
        [
            ["given_name", "father_name", "family_name", "other_spellings"],
            ["محمد", "عبد الرحمن", "الحلبي", "Mohammed; family: Al-Halabi"],
        ],
    )
    assert run(container, path, clerk_aleppo, site_id).persons_created == 1
    expected = spelled_names(
        {NamePart.GIVEN: "محمد", NamePart.FATHER: "عبد الرحمن", NamePart.FAMILY: "الحلبي"},
        [(NamePart.GIVEN, "Mohammed"), (NamePart.FAMILY, "Al-Halabi")],
    )
    with container.engine.connect() as conn:
        stored = conn.execute(
            select(
                PersonName.part,
                PersonName.position,
                PersonName.text,
                PersonName.script,
                PersonName.is_primary,
                PersonName.latin_key,
                PersonName.skeleton_key,
            ).order_by(PersonName.position)
        ).all()
        tokens = set(conn.scalars(select(NameToken.token)))
    assert [tuple(r) for r in stored] == [
        (n.part, n.position, n.text, n.script, n.is_primary, n.latin_key, n.skeleton_key) for n in expected
    ]
    assert tokens == tokens_of(n.text for n in expected)


def test_same_source_id_in_another_file_is_not_created_twice(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "march.csv", [["id", "first name", "phone"], ["17", "Ali", "0944123456"]])
    second = write_csv(tmp_path / "april.csv", [["id", "first name"], ["17", "Ali"], ["18", "Rami"]])
    assert run(container, first, clerk_aleppo, site_id, source="unicef").persons_created == 1
    report = run(container, second, clerk_aleppo, site_id, source="unicef")
    assert (report.persons_created, report.rows_already_imported) == (1, 1)


def test_site_column_overrides_and_unknown_site_is_rejected(
    container: Container, site_id: uuid.UUID, supervisor: Actor, make_user, tmp_path: Path
) -> None:
    other = services.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-1", name="Beirut", kind="shelter", country="LB"),
        actor=supervisor,
    )
    path = write_csv(
        tmp_path / "sites.csv", [["given name", "site"], ["Ali", "BEY-1"], ["Rami", "NOPE"], ["Sami", ""]]
    )
    # a clerk of Aleppo alone may not register anyone at Beirut: that row is rejected, not lost
    aleppo_only = make_user("clerk_aleppo_only", Role.REGISTRATION_CLERK, sites=[site_id])
    refused = run(container, path, aleppo_only, site_id, rejects_path=tmp_path / "refused.csv")
    assert (refused.persons_created, refused.rows_rejected) == (1, 2)
    assert any("not one of your sites" in p.reason for p in refused.problems)
    both = make_user("clerk_both", Role.REGISTRATION_CLERK, sites=[site_id, other])
    path2 = write_csv(
        tmp_path / "sites2.csv", [["given name", "site"], ["Ali", "BEY-1"], ["Rami", "NOPE"], ["Sami2", ""]]
    )
    report = run(container, path2, both, site_id)
    assert (report.persons_created, report.rows_rejected) == (2, 1)
    assert "NOPE" in report.problems[0].reason and report.problems[0].field == "site"
    placed = {p.display_name(): p.site_id for p in persons(container)}
    assert placed["Ali"] == other and placed["Sami2"] == site_id


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.xlsx", b"PK\x03\x04 this is no workbook", "not a readable XLSX"),
        ("fake.xlsx", b"given_name\nAli\n", "not a zip"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        ("blob.csv", b"\x00\x01\x02\x03binary\x00", "binary"),
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"\r\n,,\r\n", "empty"),
        ("nonames.csv", b"phone,sex\n0944123456,m\n", "no column holds the given name"),
    ],
)
def test_file_level_problems_raise_invalid_and_import_nothing(
    container: Container,
    site_id: uuid.UUID,
    clerk_aleppo: Actor,
    tmp_path: Path,
    name: str,
    content: bytes,
    message: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(Invalid) as caught:
        run(container, path, clerk_aleppo, site_id)
    assert message in caught.value.message
    assert count(container, Person) == 0 and count(container, ImportBatch) == 0


def test_importing_needs_the_import_permission(
    container: Container, site_id: uuid.UUID, auditor: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", [["given_name"], ["Ali"]])
    with pytest.raises(Forbidden):
        run(container, path, auditor, site_id)
    assert count(container, Person) == 0


def test_phone_rows_share_the_default_region(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "phones.csv",
        [["given_name", "phone"], ["Ali", "0944 123 456; 00963 955 123 456"], ["Rami", "9.63944E+11"]],
    )
    report = run(container, path, clerk_aleppo, site_id)
    assert report.persons_created == 1
    assert "scientific notation" in report.problems[0].reason
    with container.engine.connect() as conn:
        assert sorted(conn.scalars(select(Phone.e164))) == ["+963944123456", "+963955123456"]


def test_reading_in_a_worker_process_gives_the_same_import(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    rows = [[*HEADER, "site"]]
    for h in range(30):
        rows.append([f"W{h}", "head", f"Head{h}", "Nassar", "f", "1979", "SY", "0944123456", ""])
        rows.append([f"W{h}", "child", f"Kid{h}", "Nassar", "m", "2016", "SY", "", "" if h % 7 else "NOPE"])
        rows.append(
            [f"W{h}", "head", f"Second{h}", "Nassar", "m", "1977", "Narnia" if h % 5 == 0 else "SY", "", ""]
        )
    rows.append(["W99", "", "Orphan", "Nassar", "m", "1970", "SY", "", ""])
    path = write_csv(tmp_path / "worker.csv", rows)
    progress: list[int] = []
    report = run(
        container, path, clerk_aleppo, site_id, parallel=True, batch_size=7, progress=progress.append
    )
    assert report.rows_read == 91 and progress[-1] == 91
    assert (report.persons_created, report.households_created, report.rows_rejected) == (56, 31, 35)
    reasons = {r["_row"]: r["_reason"] for r in read_rejects(report)}
    assert "NOPE" in reasons["3"] and "Narnia" in reasons["4"] and "already has a head" in reasons["7"]
    assert any("W99" in w for w in report.warnings)
    again = run(container, path, clerk_aleppo, site_id, parallel=False)
    assert (again.persons_created, again.rows_already_imported, again.rows_rejected) == (0, 56, 35)


def test_a_damaged_workbook_found_by_the_worker_is_invalid(
    container: Container, site_id: uuid.UUID, clerk_aleppo: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(Invalid):
        run(container, path, clerk_aleppo, site_id, parallel=True)
