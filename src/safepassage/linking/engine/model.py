"""The Fellegi–Sunter model: comparisons, their levels, blocking rules, as Splink settings.

Each comparison is a list of levels from most to least alike; the first level whose condition holds
is the pair's level for that field, and the trained m and u probabilities of that level give its
weight (log2 m/u). The levels encode what a person-finder knows:

* Names: the same spelling beats the same consonants, which beats a typo. Consonants agreeing where
  one side is written in Arabic script (no vowels) is a level of its own, apart from Latin or Cyrillic
  spellings that agree in consonants but not in vowels (Hassan/Hussein). Given and family names
  swapped is a level, not a disagreement. Term frequencies adjust the exact levels, so a shared rare
  name weighs more than a shared "Mohammed".
* The father's name (a patronymic mapped back) is what separates namesakes; disagreeing on it, and on
  the given name where the family and father agree, is how siblings and twins stay apart.
* Birth dates at their precision: a year-only or 1 January date agrees with any date in that year;
  a day/month swap and one year off are near agreements; several years off is strong disagreement
  (a son named after his father).

The SQL uses only ``=``, ``abs``, ``levenshtein`` and Splink's own level creators, so the same settings
run on DuckDB and on Spark.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator

__all__ = [
    "COMPARISON_LABELS",
    "blocking_rules",
    "comparisons",
    "settings_creator",
    "training_rules",
]

_DIALECT = "duckdb"


Level = ComparisonLevelCreator


def _level(sql: str, label: str) -> Level:
    return cll.CustomLevel(sql, label_for_charts=label, base_dialect_str=_DIALECT)


def _null(column: str) -> Level:
    level = _level(f"{column}_l IS NULL OR {column}_r IS NULL", "not given")
    return level.configure(is_null_level=True)


def _eq(column: str, label: str, tf: str | None = None, extra: str = "") -> Level:
    sql = f"{column}_l = {column}_r" + (f" AND ({extra})" if extra else "")
    level = _level(sql, label)
    if tf:
        level = level.configure(tf_adjustment_column=tf, tf_adjustment_weight=1.0, tf_minimum_u_value=0.001)
    return level


def _typo(column: str, label: str) -> Level:
    left, right = f"{column}_l", f"{column}_r"
    return _level(
        f"levenshtein({left}, {right}) <= 1 AND length({left}) >= 3 AND length({right}) >= 3", label
    )


def _near(column: str, label: str) -> Level:
    """Spellings one edit apart, or two apart in names of seven letters or more (a portable
    stand-in for Jaro-Winkler: Spark has no built-in one, Levenshtein is built into both)."""
    left, right = f"{column}_l", f"{column}_r"
    return _level(
        f"levenshtein({left}, {right}) <= 1 OR (levenshtein({left}, {right}) <= 2 "
        f"AND length({left}) >= 7 AND length({right}) >= 7)",
        label,
    )


_ONE_TYPO_LONG = (
    "levenshtein(given_lat_l, given_lat_r) <= 1 AND length(given_lat_l) >= 5 AND length(given_lat_r) >= 5"
)


# one digit mistyped in the first half of the number, the second half as it was: siblings'
# documents issued together often have numbers one apart, but those differ at the end
_DOC_HEAD_TYPO = (
    "k_doc_tail_l = k_doc_tail_r AND length(doc_l) = length(doc_r) AND length(doc_l) >= 5 "
    "AND levenshtein(doc_l, doc_r) <= 1"
)
# two digits transposed (the same characters, two edits apart)
_DOC_TRANSPOSED = "doc_sorted_l = doc_sorted_r AND levenshtein(doc_l, doc_r) <= 2"


# m of the given name's swap levels (see _given_name)
_SWAP_M = 0.005


def _swapped() -> Level:
    return _level("given_snd_l = family_snd_r AND family_snd_l = given_snd_r", "given and family swapped")


def _given_name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="given_name",
        comparison_description="Given name in any script",
        comparison_levels=[
            _null("given_sk"),
            _eq("given_lat", "same spelling", tf="given_sk"),
            _eq(
                "given_sk",
                "same consonants, Arabic script",
                tf="given_sk",
                extra="given_ar_l = 1 OR given_ar_r = 1",
            ),
            # Hassan and Hussein, Mohammed and Mahmoud: brothers' names that share consonants;
            # spellings of one name (Mohammed, Muhammad) are rarely three edits apart.
            _eq(
                "given_sk",
                "same consonants, vowels far apart",
                extra="levenshtein(given_lat_l, given_lat_r) >= 3 AND given_ar_l = 0 AND given_ar_r = 0",
            ),
            _eq("given_sk", "same consonants, other vowels", tf="given_sk"),
            _eq("given_snd", "same sound"),
            # EM cannot learn the swap levels: its training blocks (given + family first names;
            # date + family sound; document) meet a swapped pair only through a document, so it
            # left their m unset on one list (weight 0) and drove it to 10^-13 on another (-28 bits:
            # at 1,000,000 records 3.5 % of the swapped pairs were found). Fixed at 0.005, the floor
            # the prior model gives any level EM saw no true pair reach.
            _swapped().configure(m_probability=_SWAP_M, fix_m_probability=True),
            _eq("given_first", "first given name agrees"),
            # Fellegi–Sunter adds evidence as if fields were independent; in a family they are not:
            # twins share father, family, birth date and the household phone, and only the given
            # name tells them apart (Amir and Samir, Yana and Diana are siblings' names, not typos).
            # A given name that differs beyond vowels and sound classes where the family, the
            # father or the phone agree is the pattern of a relative: its weight is fixed (not
            # learnt: EM would take the sibling pairs in its blocks for matches) and outweighs
            # all the rest. Relatives do not share a document number: one that agrees, has two
            # digits transposed, or one digit mistyped in its first half (siblings' numbers issued
            # together differ at the end) lifts it. So does a one-letter
            # typo in a name of five letters or more (Nikita / Nikiga): siblings' names that close
            # are short (Amir / Samir, Yana / Dana) and stay under the veto.
            _level(
                "(father_sk_l = father_sk_r OR family_sk_l = family_sk_r OR phone_l = phone_r) "
                f"AND (doc_l IS NULL OR doc_r IS NULL OR NOT ({_DOC_TRANSPOSED} OR {_DOC_HEAD_TYPO})) "
                f"AND NOT ({_ONE_TYPO_LONG})",
                "different, same family (a relative)",
            ).configure(m_probability=1e-20, fix_m_probability=True),
            _near("given_lat", "near spelling"),
            _typo("given_sk", "one consonant differs"),
            _level(
                "levenshtein(given_lat_l, family_lat_r) <= 2 AND levenshtein(family_lat_l, given_lat_r) <= 2",
                "given and family swapped, near spelling",
            ).configure(m_probability=_SWAP_M, fix_m_probability=True),
            _level(
                "given_lat_l = family_lat_r OR family_lat_l = given_lat_r",
                "one name in the other's field",
            ).configure(m_probability=_SWAP_M, fix_m_probability=True),
            cll.ElseLevel().configure(
                label_for_charts="different", m_probability=0.005, fix_m_probability=True
            ),
        ],
    )


def _family_name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="family_name",
        comparison_description="Family name in any script, feminine forms folded",
        comparison_levels=[
            _null("family_sk"),
            _eq("family_lat", "same spelling", tf="family_sk"),
            _eq("family_sk", "same consonants", tf="family_sk"),
            # a swap is counted once, in the given name's comparison: fixed neutral here
            _swapped().configure(
                m_probability=0.001, u_probability=0.001, fix_m_probability=True, fix_u_probability=True
            ),
            _eq("family_snd", "same sound"),
            _typo("family_sk", "one consonant differs"),
            _near("family_lat", "near spelling"),
            _eq("family_first", "first part agrees"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def _father_name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="father_name",
        comparison_description="Father's given name (patronymics mapped back)",
        comparison_levels=[
            _null("father_sk"),
            _eq("father_sk", "same", tf="father_sk"),
            _typo("father_sk", "one consonant differs"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def _birth_date() -> cl.CustomComparison:
    same_year = "by_l = by_r"
    one_apart = "abs(by_l - by_r) = 1"
    imprecise = (
        "bm_l IS NULL OR bm_r IS NULL OR bjan1_l = 1 OR bjan1_r = 1 "
        "OR (bm_l = bm_r AND (bd_l IS NULL OR bd_r IS NULL))"
    )
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_description="Birth date at the precision given",
        comparison_levels=[
            _null("by"),
            _level(
                f"{same_year} AND bm_l = bm_r AND bd_l = bd_r AND bjan1_l = 0",
                "same date",
            ),
            _level(f"{same_year} AND ({imprecise})", "same year (one date imprecise)"),
            _level(f"{same_year} AND bm_l = bd_r AND bd_l = bm_r", "day and month swapped"),
            _level(
                f"{one_apart} AND bm_l = bm_r AND bd_l = bd_r AND bjan1_l = 0",
                "same day and month, one year apart",
            ),
            _level(f"{one_apart} AND ({imprecise})", "one year apart (one date imprecise)"),
            _level(f"{same_year} AND bm_l = bm_r", "same year and month, other day"),
            _level(same_year, "same year, other month"),
            _level(one_apart, "one year apart, other day"),
            _level("abs(by_l - by_r) <= 3", "two or three years apart"),
            # a mistyped year (1979 / 1997) keeps the day and month; a son named after his father
            # rarely shares both
            _level(
                "bm_l = bm_r AND bd_l = bd_r AND bjan1_l = 0 AND bjan1_r = 0",
                "same day and month, another year",
            ),
            # A birth year off by more than three is rarely an error: fixed, so that a son named
            # after his father stays apart even where EM saw few such pairs.
            cll.ElseLevel().configure(
                label_for_charts="years apart", m_probability=0.002, fix_m_probability=True
            ),
        ],
    )


# How often two *different* people carry the same document number (a number copied onto the wrong
# record). Sampled u cannot see it: in a list with duplicates nearly every random pair sharing a
# number is one person listed twice, so the sampled u is about the prior odds and the level would
# only ever cancel them (+13 bits in FEBRL4's 10,000 records, whatever else disagreed).
_DOC_SAME_U = 1e-7


def _document() -> cl.CustomComparison:
    """Document numbers: the same, one typo, or the same characters in another order (two digits
    transposed, which is two edits)."""
    return cl.CustomComparison(
        output_column_name="document",
        comparison_description="Document number",
        comparison_levels=[
            _null("doc"),
            # u fixed: see _DOC_SAME_U
            _eq("doc", "same").configure(u_probability=_DOC_SAME_U, fix_u_probability=True),
            _typo("doc", "one typo"),
            _level(f"{_DOC_TRANSPOSED} AND length(doc_l) >= 5", "digits transposed"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def _phone() -> cl.CustomComparison:
    """A phone is a household's more often than a person's: a shared phone where the family name
    also agrees is what a spouse, a child or a sibling has too, so that level is fixed to weak
    evidence (m 0.5, u 0.05: +3.3 bits); a shared phone across family names is learnt."""
    household = "phone_l = phone_r AND family_sk_l = family_sk_r"
    return cl.CustomComparison(
        output_column_name="phone",
        comparison_description="Phone number (E.164)",
        comparison_levels=[
            _null("phone"),
            _level(household, "same, same family name (a household's)").configure(
                m_probability=0.5, u_probability=0.05, fix_m_probability=True, fix_u_probability=True
            ),
            _eq("phone", "same"),
            _typo("phone", "one typo"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def _exact(column: str, name: str, description: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=name,
        comparison_description=description,
        comparison_levels=[
            _null(column),
            _eq(column, "same"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def comparisons() -> list[ComparisonCreator | dict[str, Any]]:
    """The model's comparisons, in explanation order."""
    return [
        _given_name(),
        _family_name(),
        _father_name(),
        _birth_date(),
        _exact("sex", "sex", "Sex"),
        _document(),
        _phone(),
        cl.CustomComparison(
            output_column_name="birth_place",
            comparison_description="Birth place in any script",
            comparison_levels=[
                _null("place_sk"),
                _eq("place_sk", "same"),
                _eq("place_snd", "same sound"),
                _typo("place_sk", "one consonant differs"),
                cll.ElseLevel().configure(label_for_charts="different"),
            ],
        ),
    ]


COMPARISON_LABELS: dict[str, str] = {
    "given_name": "given name",
    "family_name": "family name",
    "father_name": "father's name",
    "birth_date": "birth date",
    "sex": "sex",
    "document": "document",
    "phone": "phone",
    "birth_place": "birth place",
}


_DOC_NEAR = "levenshtein(l.doc, r.doc) <="


def blocking_rules() -> list[Any]:
    """Candidate pairs: records sharing any of these script-independent keys are compared.

    Each rule is narrow enough that a common name ("Mohammed", "Ivanov") does not make a quadratic
    block at a million records: names are combined with a birth year or the father's name.
    """
    return [
        # sound keys of given and family name in either order (typos, swaps, scripts), birth years
        # within one of each other
        block_on("k_pair", "k_by2a"),
        block_on("k_pair", "k_by2b"),
        block_on("k_pair", "k_father"),  # birth dates missing or far off
        # no birth year on one side: that record meets every record of the same given and family
        # skeletons (two one-sided rules, so each stays a cheap equality join)
        "l.k_nodate = r.k_name",
        "l.k_name = r.k_nodate",
        # the same document, two of its digits transposed, or one mistyped (which leaves one half
        # of the number as it was); the join is on the key, the edit distance only filters
        CustomRule(f"l.doc_sorted = r.doc_sorted AND {_DOC_NEAR} 2", sql_dialect=_DIALECT),
        CustomRule(f"l.k_doc_head = r.k_doc_head AND {_DOC_NEAR} 1", sql_dialect=_DIALECT),
        CustomRule(f"l.k_doc_tail = r.k_doc_tail AND {_DOC_NEAR} 1", sql_dialect=_DIALECT),
        block_on("phone"),
        block_on("given_first", "by", "bm"),  # a family name changed at marriage
        # a given name written very differently (or mistyped), birth years within one
        block_on("k_family", "k_father", "k_by2a"),
        block_on("k_family", "k_father", "k_by2b"),
        # a family name written very differently (Ибрагим / Ibrahim), or married
        block_on("k_given", "k_father", "k_by2a"),
        block_on("k_given", "k_father", "k_by2b"),
        # the same full birth date (a day given, not a 1 January) with one name's sound, or with
        # the birth place: a typo in the other name, or given and family names swapped
        block_on("k_date", "k_family"),
        block_on("k_date", "k_given"),
        block_on("k_date", "place_sk"),
    ]


def training_rules() -> list[Any]:
    """Rules for EM: each trains the comparisons it does not block on."""
    return [
        block_on("given_first", "family_first"),
        block_on("by", "bm", "bd", "k_family"),
        block_on("doc"),
    ]


def settings_creator(probability_two_random_records_match: float = 1e-5) -> SettingsCreator:
    """Splink settings of the model (dedupe of one table; ``unique_id`` is the record_id)."""
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=probability_two_random_records_match,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        max_iterations=20,
        em_convergence=0.0001,
    )
