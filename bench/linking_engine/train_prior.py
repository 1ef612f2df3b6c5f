"""Train the linking engine's prior model on lists drawn from the project's demo population.

    .venv/bin/python bench/linking_engine/train_prior.py [--households 6000] [--seed 42]

The people come from ``safepassage.demo`` (the synthetic evacuation the demo loads: invented people
in Arabic, Cyrillic and Latin script, with their families), never from real people and never from
the benchmark's generator (bench/linking/), which grades the engine and so must stay apart from it.
Each demo person is listed one to three times, as different lists would write them: the spelling
the demo registered, or one of the other spellings the demo gives for each part of the name, a birth
date at the demo's precision or less (a year only, a 1 January, a day and month swapped, a year
off by one), a letter mistyped, sex left out, the document (now and then with a digit wrong) and
phone now and then left out. (Another phone on another list made EM collapse on lists this clean:
a level no true pair reached got m = 0.) The model is
then trained on those lists as on any input: u by random sampling, m and the prior odds by EM
(``training.train_model``). EM does not see which records are one person: nothing here is
supervised. Run it again whenever ``safepassage/linking/engine/model.py`` changes its comparisons
(``prior_model()`` refuses a file trained for other comparisons).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from safepassage.demo.generator import generate_households, generate_sites  # noqa: E402
from safepassage.linking.engine.backends import DuckDBBackend  # noqa: E402
from safepassage.linking.engine.features import features_of  # noqa: E402
from safepassage.linking.engine.link import feature_table  # noqa: E402
from safepassage.linking.engine.prior import PRIOR_MODEL_FILE  # noqa: E402
from safepassage.linking.engine.records import PersonRecord, validate_records  # noqa: E402
from safepassage.linking.engine.training import TrainingOptions, train_model  # noqa: E402

_SEX = {"female": "F", "male": "M"}
_TODAY = dt.date(2026, 1, 1)  # fixed, so that the same seed gives the same people


def _birth(value: dict[str, Any] | None, rng: random.Random, first: bool) -> str:
    if not value or not value.get("value"):
        return ""
    text = str(value["value"])
    if value.get("precision") == "year":
        text = text[:4]
    if not first:  # another list: less precise now and then, or a 1 January typed for a day
        roll = rng.random()
        if roll < 0.15:
            text = text[:4]
        elif roll < 0.22:
            text = text[:4] + "-01-01"
        elif roll < 0.27:
            text = ""
    return text


def _spelling(member: dict[str, Any], part: str, rng: random.Random, first: bool) -> str:
    registered = str(member.get(f"{part}_name") or "")
    others = [s["text"] for s in member.get("other_spellings") or [] if s["part"] == part]
    if first:
        return registered
    text = registered if not others or rng.random() < 0.4 else rng.choice(others)
    return _typo(text, rng) if rng.random() < 0.04 else text


def _typo(text: str, rng: random.Random) -> str:
    """One letter dropped, doubled or replaced by its neighbour in the text."""
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    return text[:i] + text[i + 1] + text[i + 1 :]


def _noisy_date(text: str, rng: random.Random) -> str:
    """A day and month swapped (3 %) or a year off by one (5 %) on another list."""
    roll = rng.random()
    if len(text) == 10 and roll < 0.03 and int(text[8:]) <= 12:
        return f"{text[:4]}-{text[8:]}-{text[5:7]}"
    if text and roll < 0.08:
        return f"{int(text[:4]) + rng.choice((-1, 1)):04d}{text[4:]}"
    return text


def _other_number(text: str, rng: random.Random) -> str:
    """The same number with one digit changed (a typo on a list)."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if not digits:
        return text
    i = rng.choice(digits)
    return text[:i] + str((int(text[i]) + rng.randrange(1, 10)) % 10) + text[i + 1 :]


def demo_records(households: int, seed: int) -> list[PersonRecord]:
    """The demo's people as a list of records, each person one to three times."""
    rng = random.Random(seed)
    site_ids = {site.code: uuid.UUID(int=i + 1) for i, site in enumerate(generate_sites())}
    records: list[PersonRecord] = []
    for household in generate_households(households, seed, site_ids, _TODAY):
        for member in household.model_dump(mode="json")["members"]:
            copies = rng.choices((1, 2, 3), (40, 40, 20))[0]
            for copy in range(copies):
                first = copy == 0
                documents = member.get("documents") or []
                phones = member.get("phones") or []
                document = documents[0]["number"] if documents and rng.random() < 0.6 else ""
                if document and not first and rng.random() < 0.03:
                    document = _other_number(document, rng)
                sex = _SEX.get(str(member.get("sex")), "") if first or rng.random() > 0.05 else ""
                birth = _birth(member.get("birth_date"), rng, first)
                records.append(
                    PersonRecord(
                        record_id=f"D{len(records):07d}",
                        source=f"list{copy}",
                        given_name=_spelling(member, "given", rng, first),
                        father_name=_spelling(member, "father", rng, first),
                        family_name=_spelling(member, "family", rng, first),
                        sex=sex,
                        birth_date=birth if first else _noisy_date(birth, rng),
                        birth_place=str(member.get("place_of_birth") or "") if rng.random() < 0.6 else "",
                        nationality=";".join(member.get("nationalities") or []),
                        document_number=document,
                        phone=phones[0] if phones and rng.random() < 0.6 else "",
                    )
                )
    rng.shuffle(records)
    return records


M_FLOOR = 0.005
PRIOR_ODDS = 5e-4


def regularised(model: dict[str, Any]) -> dict[str, Any]:
    """The trained model made fit for lists EM never saw.

    * Every learnt m probability is at least ``M_FLOOR`` (the fixed m of a given name that is
      simply different): the demo lists are cleaner than real ones, and a level that EM saw no true
      pair reach (a sex that differs, a year typed one off) would otherwise weigh -100 bits and more.
    * The prior odds are those of a list of the size where training starts (2,000 records, about
      one duplicate pair a record: ``PRIOR_ODDS``), not EM's: the demo's name stock is small, so EM's
      estimate of the odds says more about the demo than about a list.
    """
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level") or level.get("fix_m_probability"):
                continue
            if isinstance(level.get("m_probability"), float):
                level["m_probability"] = max(level["m_probability"], M_FLOOR)
    model["probability_two_random_records_match"] = PRIOR_ODDS
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    records = demo_records(args.households, args.seed)
    checked = validate_records(records)
    rows = sorted((features_of(c) for c in checked.valid), key=lambda r: str(r["unique_id"]))
    model = train_model(DuckDBBackend(), feature_table(rows), TrainingOptions(seed=args.seed))
    model = regularised(model)
    target = ROOT / "src" / "safepassage" / "linking" / "engine" / PRIOR_MODEL_FILE
    target.write_text(json.dumps(model, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(rows)} records of the demo population; prior model written to {target}")


if __name__ == "__main__":
    main()
