"""The quality bar of edition kvip-2027 (issue 14): 228 standards in the published group
totals, every standard says how it is checked (methods and guidance in nb and en), type 1 only
with a cited provision, duties that discriminate, the three seed texts kept verbatim, a valid
mapping from kvip-2026 — and no near-duplicates.

The near-duplicate detector (:mod:`kvip.standards.quality`) is shown to bite on kvip-2026,
whose auditor named nine duplicate pairs. A pair of kvip-2027 that it flags must be listed in
:data:`REVIEWED_DISTINCT` with the reason it is two requirements, after someone has read both
(``python tools/edition_report.py standards/kvip-2027`` prints the flagged pairs).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from kvip.config import ROOT
from kvip.standards.duties import DUTY_CODES
from kvip.standards.loader import parse_edition_dir
from kvip.standards.quality import THRESHOLD, near_duplicates, similar_pairs
from kvip.standards.services import check_edition_folder
from kvip.standards.validation import EditionData

KVIP_2026 = ROOT / "standards" / "kvip-2026"
KVIP_2027 = ROOT / "standards" / "kvip-2027"

KNOWN_DUPLICATES_2026 = [
    ("1.10", "5.15"),
    ("1.11", "6.19"),
    ("4.33", "6.21"),
    ("3.24", "5.20"),
    ("3.6", "5.10"),
    ("6.13", "6.14"),
    ("1.13", "4.32"),
    ("4.47", "6.28"),
    ("1.22", "4.27"),
]
SEEDS = ("1.19", "4.30", "6.14")
GROUPS = {"A": ("1", "2"), "B": ("3", "4"), "C": ("5", "6", "7")}
GROUP_TOTALS = {"A": 62, "B": 82, "C": 84}

# Pairs of kvip-2027 at or above the threshold that were read and found to be two distinct
# requirements: (code, code) → why. Add a pair only after reading both texts; otherwise
# merge or narrow one of them.
# Read by the coordinator on 7 Dec 2026: each pair shares words but rates two things a reviewer
# checks separately (and a unit can meet one and not the other).
REVIEWED_DISTINCT: dict[tuple[str, str], str] = {
    ("3.19", "3.20"): "an individual plan offered vs a named coordinator appointed",
    ("6.3", "6.29"): "capacity to consent assessed in the decision vs the file sent for review",
    ("4.14", "4.54"): "weekly family meetings for all vs family-based treatment for anorexia",
    ("5.2", "6.15"): "parents informed about health and care vs told the same day of coercion",
    ("6.2", "6.24"): "opposition brought to the commission vs told of the right to a free lawyer",
    ("3.25", "4.28"): "suicide risk before discharge vs before each leave and after self-harm",
    ("4.46", "5.1"): "a talk on sexual health vs information on own condition and treatment",
    ("2.12", "5.13"): "police certificate vs signed confidentiality declaration",
    (
        "5.29",
        "6.17",
    ): "16-17-year-olds' own consent recorded vs a procedure for nutrition without consent",
    ("5.18", "5.19"): "report to child welfare sent vs patient and parents told of the report",
    ("3.10", "4.43"): "observation level set on admission vs night checks done as set",
    ("1.6", "1.30"): "a shielding area with its own bathroom vs own bathroom in every patient room",
    ("2.12", "2.15"): "police certificate vs induction of temporary staff before the first shift",
    ("3.35", "6.29"): "a decision for a transfer vs the file sent to the commission for review",
    ("5.2", "5.25"): "information to parents vs explaining parents' access to the record by age",
}


def _texts(data: EditionData) -> dict[str, str]:
    return {s.code: s.text_nb for s in data.standards}


@pytest.fixture(scope="module")
def kvip2026() -> EditionData:
    data, problems = parse_edition_dir(KVIP_2026)
    assert problems == [] and data is not None
    return data


@pytest.fixture(scope="module")
def kvip2027() -> EditionData:
    assert (KVIP_2027 / "edition.yaml").is_file(), "standards/kvip-2027 is missing"
    data, problems = parse_edition_dir(KVIP_2027)
    assert problems == [], "\n".join(str(p) for p in problems)
    assert data is not None
    return data


# --- the detector bites ---------------------------------------------------------------------------


def test_detector_finds_most_known_duplicates_of_kvip_2026(kvip2026: EditionData) -> None:
    flagged = {frozenset((p.a, p.b)) for p in near_duplicates(_texts(kvip2026))}
    found = [pair for pair in KNOWN_DUPLICATES_2026 if frozenset(pair) in flagged]
    assert len(found) >= 7, f"only {found} of the nine known pairs are flagged"
    # …and it is a threshold, not a net: few pairs of the 25,878 are flagged at all.
    assert len(flagged) <= 25


def test_detector_sees_through_inflection_and_synonyms() -> None:
    pairs = similar_pairs(
        {
            "a": "Barnets egne synspunkter på innleggelsen blir dokumentert.",
            "b": "Pasientens egen mening om innleggelse journalføres.",
            "c": "Avdelingen har en oppdatert brann- og evakueringsplan.",
        }
    )
    score = {frozenset((p.a, p.b)): p.score for p in pairs}
    assert score[frozenset("ab")] >= THRESHOLD
    assert score.get(frozenset("ac"), 0.0) < 0.1


# --- kvip-2027 ------------------------------------------------------------------------------------


def test_228_standards_in_the_group_totals(kvip2027: EditionData) -> None:
    assert len(kvip2027.standards) == kvip2027.total == 228
    assert kvip2027.methods_required
    for group, domains in GROUPS.items():
        count = sum(len(d.standards) for d in kvip2027.domains if d.code in domains)
        assert count == GROUP_TOTALS[group], f"group {group}: {count}"


def test_every_standard_says_how_it_is_checked(kvip2027: EditionData) -> None:
    lacking = [
        s.code
        for s in kvip2027.standards
        if not (s.methods and s.guidance_nb.strip() and s.guidance_en.strip())
    ]
    assert not lacking, f"without methods or guidance in nb and en: {lacking}"


def test_every_type_1_standard_cites_a_provision(kvip2027: EditionData) -> None:
    uncited = [
        s.code
        for s in kvip2027.standards
        if s.type == 1
        and not ("§" in s.guidance_nb and re.search(r"\bsections?\b", s.guidance_en, re.I))
    ]
    assert not uncited, f"type 1 without a provision cited in nb (§) and en (section): {uncited}"


def test_no_unreviewed_near_duplicates(kvip2027: EditionData) -> None:
    texts = _texts(kvip2027)
    unreviewed = [
        p
        for p in near_duplicates(texts)
        if (p.a, p.b) not in REVIEWED_DISTINCT and (p.b, p.a) not in REVIEWED_DISTINCT
    ]
    listing = "\n".join(
        f"  {p.score:.2f} {p.a} «{texts[p.a]}»\n       {p.b} «{texts[p.b]}»" for p in unreviewed
    )
    assert not unreviewed, (
        f"{len(unreviewed)} pair(s) at or above {THRESHOLD}: merge or narrow one of each, or "
        f"add it to REVIEWED_DISTINCT with the reason they differ:\n{listing}"
    )


def test_reviewed_pairs_still_exist(kvip2027: EditionData) -> None:
    codes = {s.code for s in kvip2027.standards}
    stale = [pair for pair in REVIEWED_DISTINCT if not set(pair) <= codes]
    assert not stale, f"reviewed pairs naming codes no longer in the edition: {stale}"


def test_duties_discriminate(kvip2027: EditionData) -> None:
    per_duty = Counter(d for s in kvip2027.standards for d in s.duties)
    outside = {d: per_duty.get(d, 0) for d in DUTY_CODES if not 5 <= per_duty.get(d, 0) <= 40}
    assert not outside, f"duties outside 5–40 standards: {outside}"
    wrong = [s.code for s in kvip2027.standards if not 1 <= len(s.duties) <= 3]
    assert not wrong, f"standards without 1–3 duties: {wrong}"


def test_seed_texts_are_kept_verbatim(kvip2026: EditionData, kvip2027: EditionData) -> None:
    old = {s.code: s for s in kvip2026.standards}
    new = {s.code: s for s in kvip2027.standards}
    for code in SEEDS:
        assert code in new, f"seed {code} is missing"
        assert (new[code].text_nb, new[code].text_en) == (old[code].text_nb, old[code].text_en)


def test_the_mapping_from_kvip_2026_is_valid(kvip2027: EditionData) -> None:
    assert (KVIP_2027 / "mapping-from-kvip-2026.yaml").is_file()
    data, mappings, problems = check_edition_folder(Path(KVIP_2027))
    assert problems == [], "\n".join(str(p) for p in problems)
    assert data is not None and [m.from_slug for m in mappings] == ["kvip-2026"]
