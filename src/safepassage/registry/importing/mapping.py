"""Which column holds which field: by header (English, Russian, Arabic) and by HXL hashtag.

Headers are compared after ``fold``: case, accents, Arabic diacritics and letter variants, spaces,
dashes and underscores do not matter, so "Given name", "given_name" and "GIVEN-NAME" are one header.
HXL hashtags (https://hxlstandard.org) are read as a hashtag and a set of attributes, in any order:
``#beneficiary +name +first`` is ``#beneficiary+first+name``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from safepassage.registry.codes import (
    ConsentMethod,
    DocumentType,
    EvacuationCategory,
    Intention,
    NamePart,
    Relationship,
    Sex,
)
from safepassage.shared.dates import DatePrecision
from safepassage.shared.reference import normalise_language

# Fields that hold several values: several columns may map to them and their values add up.
LIST_FIELDS = frozenset(
    {"phone", "nationality", "languages", "needs", "other_spellings"}
    | {"other_given", "other_father", "other_grandfather", "other_family"}
)
# Columns of a rejects file, ignored on re-import without a word.
REJECT_COLUMNS = ("_row", "_field", "_reason")

_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": None})
_NON_WORD = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """A header or a code word as compared: no case, accents, diacritics or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", bare.translate(_ARABIC_FOLD)).split())


_ALIASES: dict[str, str] = {  # field: its header words, "|"-separated
    "household": (
        "household|household id|household ref|household reference|household no|"
        "household number|hh|hh id|hh ref|family id|family ref|case id|case no|"
        "case number|домохозяйство|семья|номер семьи|ид семьи|id семьи|الاسرة|"
        "رقم الاسرة|رقم العائلة|معرف الاسرة"
    ),
    "relationship": (
        "relationship|relationship to head|relation|relation to head|rel|role|"
        "role in household|relationship to hoh|родство|степень родства|"
        "отношение к главе|кем приходится|صله القرابه|القرابه|العلاقه|"
        "العلاقه برب الاسره|الصله"
    ),
    "given_name": "given name|first name|firstname|forename|given|name|имя|الاسم|الاسم الاول|اسم",
    "father_name": (
        "father name|fathers name|father s name|patronymic|middle name|отчество|имя отца|اسم الاب"
    ),
    "grandfather_name": "grandfather name|grandfathers name|grandfather s name|имя деда|اسم الجد",
    "family_name": "family name|surname|last name|lastname|фамилия|الكنيه|اسم العائله|الشهره|اللقب",
    "other_spellings": (
        "other spellings|other spelling|other names|aliases|alias|also known as|aka|"
        "другие написания|другие имена|اسماء اخرى"
    ),
    "other_given": "given name latin|first name latin|given name other|first name other",
    "other_father": "father name latin|father name other|patronymic latin",
    "other_grandfather": "grandfather name latin|grandfather name other",
    "other_family": ("family name latin|surname latin|last name latin|family name other|surname other"),
    "sex": "sex|gender|пол|الجنس",
    "birth_date": (
        "birth date|date of birth|dob|birthdate|born|birthday|дата рождения|"
        "تاريخ الميلاد|تاريخ الولاده|المواليد"
    ),
    "birth_date_precision": "birth date precision|dob precision|date of birth precision",
    "birth_date_estimated": (
        "birth date estimated|dob estimated|date of birth estimated|estimated|estimated dob"
    ),
    "place_of_birth": ("place of birth|birth place|birthplace|pob|место рождения|مكان الولاده|مكان الميلاد"),
    "nationality": "nationality|nationalities|citizenship|гражданство|الجنسيه",
    "languages": "language|languages|spoken languages|язык|языки|اللغه|اللغات",
    "document_type": ("document type|doc type|id type|тип документа|вид документа|نوع الوثيقه|نوع الهويه"),
    "document_number": (
        "document number|document no|doc number|doc no|id number|id no|номер документа|رقم الوثيقه|رقم الهويه"
    ),
    "document_country": (
        "document country|issuing country|document issuing country|issued by|страна выдачи|بلد الاصدار"
    ),
    "document_expiry": (
        "document expiry|expiry date|expiry|valid until|expires|срок действия|"
        "действителен до|تاريخ الانتهاء|تاريخ انتهاء الصلاحيه"
    ),
    "phone": (
        "phone|phones|phone number|telephone|tel|mobile|mobile number|cell|"
        "contact phone|whatsapp|телефон|номер телефона|мобильный|الهاتف|رقم الهاتف|"
        "الجوال|الموبايل|هاتف"
    ),
    "needs": (
        "needs|specific needs|specific need|vulnerabilities|vulnerability|need codes|"
        "особые потребности|уязвимость|الاحتياجات|الاحتياجات الخاصه"
    ),
    "category": "category|evacuation category|категория|الفئه",
    "intention": "intention|intent|намерение|النيه",
    "consent_registration": (
        "consent registration|consent to registration|registration consent|consent|"
        "согласие на регистрацию|согласие|الموافقه على التسجيل|الموافقه"
    ),
    "consent_evacuation": (
        "consent evacuation|consent to evacuation|evacuation consent|"
        "согласие на эвакуацию|الموافقه على الاجلاء"
    ),
    "consent_resettlement": (
        "consent resettlement|consent to resettlement|resettlement consent|"
        "согласие на переселение|الموافقه على اعاده التوطين"
    ),
    "consent_method": "consent method|method of consent|method|способ согласия|طريقه الموافقه",
    "consent_date": "consent date|date of consent|дата согласия|تاريخ الموافقه",
    "source_id": (
        "source id|id|row id|record id|beneficiary id|individual id|person id|"
        "registration number|registration no|reg no|ref|reference|ид|номер записи|"
        "رقم التسجيل|المعرف"
    ),
    "site": "site|site code|location code|площадка|код площадки|الموقع|رمز الموقع",
}
# Headers that name a document number of one kind: the type is implied when no type column says.
_IMPLIED_DOCUMENT = {
    "passport number": DocumentType.PASSPORT,
    "passport no": DocumentType.PASSPORT,
    "passport": DocumentType.PASSPORT,
    "номер паспорта": DocumentType.PASSPORT,
    "رقم جواز السفر": DocumentType.PASSPORT,
    "national id": DocumentType.NATIONAL_ID,
    "national id number": DocumentType.NATIONAL_ID,
    "الرقم الوطني": DocumentType.NATIONAL_ID,
}

HEADER_ALIASES: dict[str, str] = {}
for _field_name, _aliases in _ALIASES.items():
    HEADER_ALIASES[fold(_field_name)] = _field_name
    for _alias in _aliases.split("|"):
        HEADER_ALIASES[fold(_alias)] = _field_name
for _alias in _IMPLIED_DOCUMENT:
    HEADER_ALIASES[fold(_alias)] = "document_number"
IMPLIED_DOCUMENT = {fold(k): v for k, v in _IMPLIED_DOCUMENT.items()}
FIELDS = tuple(_ALIASES)

# -- HXL ---------------------------------------------------------------------------------------------

_HXL_TAG = re.compile(r"^\s*#([a-z][a-z0-9_]*)((?:\s*\+\s*[a-z][a-z0-9_]*)*)\s*$", re.IGNORECASE)
_PEOPLE = {"affected", "beneficiary", "person", "individual", "respondee", "population", "name", "targeted"}
# Attribute words (joined by +) → field; the first rule whose words a tag has wins.
_ATTR_RULES = (
    "first=given_name given=given_name father=father_name patronymic=father_name "
    "middle=father_name grandfather=grandfather_name last=family_name family=family_name "
    "surname=family_name alias=other_spellings aka=other_spellings "
    "relationship=relationship relation=relationship sex=sex gender=sex "
    "nationality=nationality citizenship=nationality language=languages phone=phone "
    "mobile=phone needs=needs need=needs category=category intention=intention "
    "consent+registration=consent_registration consent+evacuation=consent_evacuation "
    "consent+resettlement=consent_resettlement consent+method=consent_method "
    "consent+date=consent_date consent=consent_registration"
)
_ATTR_FIELDS = tuple(
    (frozenset(rule.split("=")[0].split("+")), rule.split("=")[1]) for rule in _ATTR_RULES.split()
)


def parse_hxl(cell: str) -> tuple[str, frozenset[str]] | None:
    """``#beneficiary+name+first`` → ("beneficiary", {"name", "first"}); None when not a hashtag."""
    match = _HXL_TAG.match(cell)
    if not match:
        return None
    attrs = frozenset(a.strip().lower() for a in match.group(2).split("+") if a.strip())
    return match.group(1).lower(), attrs


def is_hxl_row(cells: Sequence[str]) -> bool:
    """A row of hashtags: every non-empty cell is one, and there is at least one."""
    filled = [c for c in cells if c.strip()]
    return bool(filled) and all(parse_hxl(c) is not None for c in filled)


def hxl_field(cell: str) -> str | None:
    """The field an HXL hashtag stands for, or None. Generous: see docs/import.md for the table."""
    parsed = parse_hxl(cell)
    if parsed is None:
        return None
    tag, attrs = parsed
    words = attrs | {tag}
    if tag in {"household", "hh"} and not attrs - {"id", "code", "ref", "name"}:
        return "household"
    if {"household", "hh", "family"} & words and {"id", "code", "ref"} & attrs:
        return "household"
    if tag == "date" and {"birth", "dob"} & attrs:
        return "birth_date"
    if {"birth", "dob"} & attrs and tag in {"loc", "adm1", "adm2", "adm3", "place"}:
        return "place_of_birth"
    if tag == "doc" or "document" in words or "passport" in attrs:
        return _document_hxl(attrs)
    if "expiry" in attrs:
        return "document_expiry"
    for needed, name in _ATTR_FIELDS:
        if needed <= words:
            return name
    if {"birth", "dob"} & attrs:
        return "birth_date"
    if tag == "site" or "site" in attrs:
        return "site"
    if tag == "contact" and "phone" in attrs:
        return "phone"
    if tag in _PEOPLE and "name" in words:
        return "given_name"  # a whole name in one column: kept as written, as the given name
    if tag == "meta" and "id" in attrs:
        return "source_id"
    if (tag in _PEOPLE or tag == "id") and ({"id", "code"} & attrs or tag == "id"):
        return "source_id"
    if tag == "country" and ("nationality" in attrs or not attrs):
        return "nationality"
    return None


def _document_hxl(attrs: frozenset[str]) -> str:
    if "type" in attrs:
        return "document_type"
    if "country" in attrs or "issuer" in attrs:
        return "document_country"
    if "expiry" in attrs or "expires" in attrs:
        return "document_expiry"
    return "document_number"


# -- the mapping ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    index: int
    header: str  # as in the file: what a rejects file and a problem call it


@dataclass
class ColumnMap:
    """Columns per field (in file order), and what was left out."""

    fields: dict[str, list[Column]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    implied_document_type: DocumentType | None = None

    def has(self, name: str) -> bool:
        return name in self.fields


def map_columns(headers: Sequence[str], hxl: Sequence[str] | None = None) -> ColumnMap:
    """Map each column to a field by its hashtag (when the file has an HXL row) or its header."""
    result = ColumnMap()
    count = max(len(headers), len(hxl or ()))
    for index in range(count):
        header = headers[index].strip() if index < len(headers) else ""
        tag = hxl[index].strip() if hxl is not None and index < len(hxl) else ""
        label = header or tag or f"column {index + 1}"
        if header in REJECT_COLUMNS:
            continue
        name = hxl_field(tag) if tag else None
        folded = fold(header)
        if name is None and header:
            name = HEADER_ALIASES.get(folded) or HEADER_ALIASES.get(folded.rstrip(" 0123456789"))
        if name is None:
            if header or tag:
                result.ignored.append(label)
            continue
        if name == "document_number" and folded in IMPLIED_DOCUMENT:
            result.implied_document_type = IMPLIED_DOCUMENT[folded]
        columns = result.fields.setdefault(name, [])
        if columns and name not in LIST_FIELDS:
            result.ignored.append(label)
            result.notes.append(
                f"column '{label}' is a second column for {name} (after '{columns[0].header}'); ignored"
            )
            continue
        columns.append(Column(index, label))
    return result


# -- value words ---------------------------------------------------------------------------------------
# Cell values as partners write them, folded like headers, to the codes of ``codes.py``.


def _table(pairs: dict[str, str]) -> dict[str, str]:
    return {fold(word): code for words, code in pairs.items() for word in words.split("|")}


_SEX = _table(
    {
        "f|female|woman|w|girl|ж|жен|женский|женщина|девочка|انثى|انثي|امراه|بنت|مؤنث": "female",
        "m|male|man|boy|м|муж|мужской|мужчина|мальчик|ذكر|رجل|ولد|مذكر": "male",
        "o|x|other|другой|اخر": "other",
        "u|unknown|?|неизвестно|غير معروف": "unknown",
    }
)
_RELATIONSHIP = _table(
    {
        "head|hoh|head of household|household head|self|principal applicant|pa|глава|глава семьи|"
        "заявитель|رب الاسره|رب الاسرة|رئيس الاسره|المعيل": "head",
        "spouse|wife|husband|partner|супруг|супруга|жена|муж|زوج|زوجه": "spouse",
        "child|son|daughter|ребенок|сын|дочь|ابن|ابنه|بنت|طفل": "child",
        "stepchild|stepson|stepdaughter|пасынок|падчерица|ربيب|ربيبه": "stepchild",
        "parent|father|mother|родитель|отец|мать|اب|ام|والد|والده": "parent",
        "sibling|brother|sister|брат|сестра|اخ|اخت": "sibling",
        "grandchild|grandson|granddaughter|внук|внучка|حفيد|حفيده": "grandchild",
        "grandparent|grandfather|grandmother|дедушка|бабушка|дед|бабка|جد|جده": "grandparent",
        "other relative|relative|uncle|aunt|nephew|niece|cousin|in law|son in law|daughter in law|"
        "родственник|дядя|тетя|племянник|племянница|двоюродный брат|двоюродная сестра|"
        "قريب|قريبه|عم|عمه|خال|خاله": "other_relative",
        "non relative|unrelated|friend|other|не родственник|друг|غير قريب|صديق": "non_relative",
    }
)
_YES_NO = _table(
    {
        "yes|y|true|1|x|given|да|д|есть|نعم|موافق": "yes",
        "no|n|false|0|withdrawn|refused|нет|н|отказ|لا|رفض|غير موافق": "no",
    }
)
_LANGUAGES = _table(
    {
        "арабский|العربيه|عربي": "ara",
        "русский|الروسيه": "rus",
        "английский|الانجليزيه|الانكليزيه": "eng",
        "французский|الفرنسيه": "fra",
        "курдский|الكرديه|كردي": "kur",
        "турецкий|التركيه": "tur",
        "армянский|الارمنيه": "hye",
        "украинский|الاوكرانيه": "ukr",
    }
)
_PRECISION = _table(
    {
        "day|d|день|يوم": "day",
        "month|m|месяц|شهر": "month",
        "year|y|год|سنه": "year",
        "unknown|неизвестно|غير معروف": "unknown",
    }
)
_DOCUMENT = _table(
    {
        "passport|паспорт|загранпаспорт|جواز سفر|جواز": "passport",
        "national id|id|id card|identity card|national id card|внутренний паспорт|удостоверение личности|"
        "هويه|بطاقه شخصيه|الهويه الوطنيه|بطاقه هويه": "national_id",
        "birth certificate|свидетельство о рождении|شهاده ميلاد": "birth_certificate",
        "family book|family booklet|دفتر عائله|دفتر العائله": "family_book",
        "residence permit|вид на жительство|اقامه": "residence_permit",
        "refugee id|refugee certificate|удостоверение беженца|بطاقه لاجئ": "refugee_id",
        "emergency travel document|etd|laissez passer|laissez-passer": "emergency_travel_document",
        "other|другой|اخرى": "other",
    }
)
_CONSENT_METHOD = _table(
    {
        "signed|signature|written|подпись|письменно|موقع|خطي": "signed",
        "verbal|oral|устно|شفهي|شفوي": "verbal",
        "witnessed|witness|при свидетеле|بحضور شاهد|شاهد": "witnessed",
    }
)
_INTENTION = _table(
    {
        "leave now|now|leave|уехать сейчас|сейчас|المغادره الان": "leave_now",
        "leave later|later|позже|لاحقا": "leave_later",
        "stay|остаться|البقاء": "stay",
        "undecided|unknown|не решил|غير محدد": "undecided",
    }
)
NAME_PARTS = {
    fold(w): part
    for words, part in (
        ("given|first|given name|first name|имя|الاسم", NamePart.GIVEN),
        ("father|father name|patronymic|отчество|الاب", NamePart.FATHER),
        ("grandfather|grandfather name|дед|الجد", NamePart.GRANDFATHER),
        ("family|family name|surname|last name|фамилия|الكنيه", NamePart.FAMILY),
    )
    for w in words.split("|")
}


def _code(table: dict[str, str], what: str, codes: type[StrEnum]) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        folded = fold(value)
        code = table.get(folded) or folded.replace(" ", "_")
        try:
            return codes(code)
        except ValueError:
            allowed = ", ".join(c.value for c in codes)
            raise ValueError(f"'{value}' is not a {what} (use one of: {allowed})") from None

    return parse


sex = _code(_SEX, "sex", Sex)
relationship = _code(_RELATIONSHIP, "relationship to the head", Relationship)
category = _code({}, "category", EvacuationCategory)
intention = _code(_INTENTION, "intention", Intention)
precision = _code(_PRECISION, "date precision", DatePrecision)
document_type = _code(_DOCUMENT, "document type", DocumentType)
consent_method = _code(_CONSENT_METHOD, "consent method", ConsentMethod)


def yes_no(value: str) -> bool:
    answer = _YES_NO.get(fold(value))
    if answer is None:
        raise ValueError(f"'{value}' is neither yes nor no")
    return answer == "yes"


def language(value: str) -> str:
    return normalise_language(_LANGUAGES.get(fold(value), value))
