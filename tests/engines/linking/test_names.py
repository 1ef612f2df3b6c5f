"""Linking's name knowledge on top of shared.text: patronymics, surname forms, sound keys."""

from __future__ import annotations

import pytest

from safepassage.linking.engine.names import (
    family_skeleton,
    father_skeleton,
    masculine_latin,
    name_skeleton,
    sound,
    sound_key,
)
from safepassage.shared.text import skeleton_key


@pytest.mark.parametrize(
    ("patronymic", "father"),
    [
        ("Мухаммедович", "Muhammad"),
        ("Мухаммедовна", "محمد"),
        ("Николаевна", "Nikolai"),
        ("Алексеевич", "Aleksey"),
        ("Ильич", "Ilya"),
        ("Aliyevna", "Ali"),
        ("bin Mohammed", "Mohammed"),
        ("ibn Ali", "علي"),
        ("Mammad oglu", "Mammad"),
        ("Muhammad Ali", "Muhammad"),  # the grandfather after the father is not the father
    ],
)
def test_patronymics_and_bin_forms_give_the_fathers_given_name(patronymic, father):
    assert father_skeleton(patronymic) == skeleton_key(father).split()[0]


def test_a_name_ending_like_a_patronymic_suffix_is_left_alone():
    assert father_skeleton("Vich") == skeleton_key("Vich")
    assert father_skeleton("") == ""


@pytest.mark.parametrize(
    ("feminine", "masculine"),
    [
        ("Ivanova", "ivanov"),
        ("Иванова", "ivanov"),
        ("Ostrovskaya", "ostrovskiy"),
        ("Ostrovsky", "ostrovskiy"),
        ("Nikitina", "nikitin"),
        ("Amina", "amina"),
        ("Medina", "medina"),
    ],
)
def test_surnames_fold_to_their_masculine_form(feminine, masculine):
    assert masculine_latin(feminine) == masculine


def test_hamza_alif_lam_is_part_of_the_name_not_an_article():
    assert name_skeleton("أليسا") == skeleton_key("Alisa")
    assert name_skeleton("الحسن") == skeleton_key("Hassan")  # a bare alif-lam still is the article


def test_a_joined_latin_article_is_dropped_from_family_names_only():
    assert family_skeleton("Elsaleh") == family_skeleton("Al-Saleh") == skeleton_key("صالح")
    assert family_skeleton("Altabbaa") == family_skeleton("Tabbaa")
    assert family_skeleton("Alexandrov") == skeleton_key("Alexandrov")  # vowel next: not an article


def test_sound_keys_meet_across_scripts_where_skeletons_do_not():
    assert skeleton_key("ايفانوف") != skeleton_key("Ivanov")
    assert sound(skeleton_key("ايفانوف")) == sound(skeleton_key("Ivanov"))
    assert sound(skeleton_key("كوزنيتسوف")) == sound(skeleton_key("Kuznetsov"))
    assert sound_key(skeleton_key("Mohammed Ali")) == sound_key(skeleton_key("محمد"))
    assert len(sound_key(skeleton_key("Abdulrahman"))) <= 4


def test_an_initial_y_is_a_vowel_in_the_sound_key():
    assert sound(skeleton_key("يلينا")) == sound(skeleton_key("Elena")) == sound(skeleton_key("Елена"))
    assert sound(skeleton_key("Yusuf")) == sound(skeleton_key("يوسف"))
