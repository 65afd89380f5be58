"""Quality checks of an edition's content, for its writers and its tests: near-duplicate
standards and how duties, dimensions and methods are spread. Pure functions, no database.

Near-duplicates are found by the similarity of the Norwegian texts: words lower-cased, a small
list of stop words dropped, words the standards use interchangeably brought to one concept
(:data:`SYNONYMS`: «synspunkter» and «mening», «journalført» and «dokumentert», …), the rest cut
to their first five letters (a crude stemmer for bokmål inflection: «innleggelsen» ~
«innleggelse»), weighted by TF-IDF over the edition, compared by cosine.

:data:`THRESHOLD` was chosen on kvip-2026, whose auditor named nine duplicate pairs: at 0.38 it
flags 7 of the 9 and 16 pairs in all (most of the rest are the auditor's "partial overlaps",
e.g. 3.19 ~ 3.20, 1.7 ~ 6.11, 6.2 ~ 6.24). The two it misses (6.13 ~ 6.14, 1.11 ~ 6.19) say the
same thing in other words; no word-based measure sees that without also flagging dozens of
distinct pairs. A flagged pair is a pair to read, not a verdict: two distinct requirements on
one topic (an individual plan offered / a coordinator appointed) can score as high as a
duplicate; the edition test keeps a reviewed list of those.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from kvip.standards.duties import DIMENSION_CODES, DUTY_CODES, METHOD_CODES

THRESHOLD = 0.38
STEM = 5

_STOP_TEXT = """og i på for av med til som er en et den det de at om ved skal kan har ikke eller
etter etterkant fra når så også der hvor alle hver seg sin sine sitt blir bli får jf avdelingen
pasienten pasientene pasienter pasientens barnet barnets barn ungdom ungdommen egen egne eget
ansatte personalet"""
# Words every standard uses (function words, and the unit and its people).
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Words the standards use for one thing: each maps to its concept's name (upper case, so it
# never collides with a stemmed word).
_CONCEPTS = {
    "MENING": "synspunkter synspunkt mening meninger syn oppfatning oppfatninger",
    "DOKUMENTERT": "dokumentert dokumenteres dokumentasjon journalført journalføres "
    "journalfører nedtegnet",
    "INNHENTET": "innhentes innhentet etterspurt etterspørres spurt spørres",
    "BEGRENSET": "begrenses begrensning begrensninger innskrenkning innskrenkninger "
    "innskrenkes restriksjoner",
    "SAMTALE": "samtale samtalen samtaler ettersamtale reflekterer refleksjon snakker snakke",
    "TVANG": "tvang tvangen tvangsbruk tvangsmidler tvangsmiddel holdeepisode holdeepisoden "
    "fastholding grensesetting",
    "SKOLE": "skole skoletilbud undervisning opplæring institusjonsskolen hjemmeskolen skolegang",
    "MAT": "kost kosten mat måltid måltider ernæring kosthold",
    "RELIGION": "religion religiøse religiøs livssyn tro",
    "UTE": "utendørs ute friluft",
    "TELEFON": "telefon ringe telefoner",
}
SYNONYMS: dict[str, str] = {w: c for c, words in _CONCEPTS.items() for w in words.split()}

_WORD = re.compile(r"[a-zæøå0-9]+")


def terms(text: str) -> list[str]:
    """The comparable terms of a Norwegian text."""
    out = []
    for word in _WORD.findall(text.lower()):
        if word in STOP_WORDS or len(word) < 2:
            continue
        out.append(SYNONYMS.get(word, word[:STEM]))
    return out


@dataclass(frozen=True)
class SimilarPair:
    score: float
    a: str  # code
    b: str  # code


def similar_pairs(texts: dict[str, str], threshold: float = 0.0) -> list[SimilarPair]:
    """Every pair of standards (code → nb text) whose similarity is at least ``threshold``,
    most similar first."""
    docs = {code: terms(text) for code, text in texts.items()}
    df = Counter(t for d in docs.values() for t in set(d))
    n = len(docs)
    vectors: dict[str, dict[str, float]] = {}
    for code, d in docs.items():
        weights = {
            t: (1 + math.log(k)) * math.log((n + 1) / (df[t] + 1) + 1)
            for t, k in Counter(d).items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors[code] = {t: w / norm for t, w in weights.items()}
    codes = list(texts)
    pairs = []
    for i, a in enumerate(codes):
        va = vectors[a]
        for b in codes[i + 1 :]:
            vb = vectors[b]
            small, large = (va, vb) if len(va) <= len(vb) else (vb, va)
            score = sum(w * large.get(t, 0.0) for t, w in small.items())
            if score >= threshold and score > 0:
                pairs.append(SimilarPair(round(score, 4), a, b))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs


def near_duplicates(texts: dict[str, str]) -> list[SimilarPair]:
    """Pairs at or above :data:`THRESHOLD`."""
    return similar_pairs(texts, THRESHOLD)


def spread(standards: Iterable[object], field: str) -> dict[str, int]:
    """How many standards list each code of ``field`` (duties, dimensions or methods), every
    code of the vocabulary included (zero where none)."""
    known = {"duties": DUTY_CODES, "dimensions": DIMENSION_CODES, "methods": METHOD_CODES}[field]
    counts = Counter(c for s in standards for c in getattr(s, field))
    return {code: counts.get(code, 0) for code in known}
