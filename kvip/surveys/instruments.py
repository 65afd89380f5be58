"""Read the instrument files of an edition (``standards/<edition>/instruments/*.yaml``) with the
same strict rules as the standards (DESIGN §6): every problem as ``file:line: message``, all or
nothing; then load them into :class:`~kvip.surveys.models.Instrument` rows.

An instrument file::

    code: young_person            # young_person | parent | staff | record_audit
    kind: questionnaire           # questionnaire | record_audit
    version: "1.0"
    title: {nb: …, en: …}
    audience: {nb: …, en: …}      # optional
    intro: {nb: …, en: …}         # optional
    questions:
      - code: U01
        text: {nb: …, en: …}
        scale: agree4             # agree4 | text (questionnaires); yes_no_na (record audit)
        positive: agree           # agree | disagree: which side is the good answer
        standards: ["4.6"]        # codes of the edition's standards it evidences
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip.extensions import db
from kvip.standards.loader import EDITION_FILE, Node, YamlFile
from kvip.standards.models import Edition, Standard
from kvip.standards.validation import Place, Problem, Problems, check_length, message_locale
from kvip.surveys.models import Answer, Collection, Instrument, InstrumentKind, Question, Scale

INSTRUMENTS_DIR = "instruments"
# The instruments an edition may have, in the order they are shown.
INSTRUMENT_CODES = ("young_person", "parent", "staff", "record_audit")
TOP_KEYS = ("code", "kind", "version", "title", "audience", "intro", "questions")
QUESTION_KEYS = ("code", "text", "scale", "positive", "standards")
QUESTION_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,19}$")
SCALES_BY_KIND = {
    InstrumentKind.questionnaire.value: (Scale.agree4.value, Scale.text.value),
    InstrumentKind.record_audit.value: (Scale.yes_no_na.value,),
}
MAX_QUESTION_TEXT = 500


@dataclass
class QuestionData:
    code: str
    text_nb: str
    text_en: str
    scale: str
    positive: str
    standards: list[str]


@dataclass
class InstrumentData:
    code: str
    kind: str
    version: str
    title_nb: str
    title_en: str
    audience_nb: str = ""
    audience_en: str = ""
    intro_nb: str = ""
    intro_en: str = ""
    questions: list[QuestionData] = field(default_factory=list)

    def content_hash(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


def instruments_folder(path: str | Path) -> Path:
    """The instruments folder of ``path``: the folder itself, or ``<edition>/instruments``."""
    root = Path(path)
    return root / INSTRUMENTS_DIR if (root / EDITION_FILE).is_file() else root


def edition_slug_of(path: str | Path) -> str | None:
    """The slug declared by the edition file beside (or above) the instruments folder."""
    folder = instruments_folder(path)
    edition_file = folder.parent / EDITION_FILE
    if not edition_file.is_file():
        return None
    problems = Problems()
    top = YamlFile(edition_file, str(edition_file), 0, problems).read()
    if top is None or top.kind != "map" or "slug" not in top.mapping:
        return None
    return str(top.mapping["slug"][0].text_value() or "") or None


def parse_instruments(
    path: str | Path, standard_codes: set[str], *, drop_unknown_standards: bool = False
) -> tuple[list[InstrumentData] | None, list[Problem]]:
    """Read and check every instrument file of a folder against the edition's standard codes;
    returns the data (None unless there is no problem at all) and every problem.

    ``drop_unknown_standards`` leaves out, without a problem, standard codes the edition does
    not have: for the demo, which uses the 2027 questions with the 2026 edition."""
    with message_locale():
        return _parse(path, standard_codes, drop_unknown_standards)


def _parse(
    path: str | Path, standard_codes: set[str], drop: bool = False
) -> tuple[list[InstrumentData] | None, list[Problem]]:
    folder = instruments_folder(path)
    problems = Problems()
    label = str(folder).rstrip("/")
    if not folder.is_dir():
        problems.add(Place(label, (0, 0)), _("Not a folder."))
        return None, problems.sorted()
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        problems.add(Place(label, (0, 0)), _("The folder has no instrument files (*.yaml)."))
        return None, problems.sorted()
    out: list[InstrumentData] = []
    seen: dict[str, str] = {}
    for order, file_path in enumerate(files, start=1):
        yfile = YamlFile(file_path, f"{label}/{file_path.name}", order, problems)
        data = _instrument(yfile, standard_codes, drop)
        if data is None:
            continue
        if data.code in seen:
            yfile.add(
                1,
                _(
                    "The instrument “%(code)s” is also defined in %(file)s.",
                    code=data.code,
                    file=seen[data.code],
                ),
            )
            continue
        seen[data.code] = file_path.name
        out.append(data)
    result = problems.sorted()
    out.sort(key=lambda d: INSTRUMENT_CODES.index(d.code) if d.code in INSTRUMENT_CODES else 99)
    return (None if result else out), result


def _instrument(yfile: YamlFile, standard_codes: set[str], drop: bool) -> InstrumentData | None:
    top = yfile.read()
    if top is None:
        return None
    if top.kind != "map":
        yfile.add(top.line, _("An instrument file must be a mapping of code, kind, title, …"))
        return None
    yfile.check_keys(top, TOP_KEYS)
    code, code_line = yfile.text(top, "code", _("The instrument code"))
    if code and code not in INSTRUMENT_CODES:
        yfile.add(
            code_line,
            _(
                "Unknown instrument “%(code)s”. Known instruments: %(known)s.",
                code=code,
                known=", ".join(INSTRUMENT_CODES),
            ),
        )
    expected_name = code.replace("_", "-")
    if code in INSTRUMENT_CODES and yfile.path.stem != expected_name:
        yfile.add(
            code_line,
            _(
                "The file of instrument “%(code)s” must be named %(name)s.yaml.",
                code=code,
                name=expected_name,
            ),
        )
    kind, kind_line = yfile.text(top, "kind", _("The kind"))
    if kind and kind not in SCALES_BY_KIND:
        yfile.add(kind_line, _("The kind must be questionnaire or record_audit."))
        kind = ""
    if kind and code in INSTRUMENT_CODES and (kind == "record_audit") != (code == "record_audit"):
        yfile.add(kind_line, _("Only the record_audit instrument has the kind record_audit."))
    version, version_line = yfile.text(top, "version", _("The version"))
    check_length(version, "version", _("The version"), yfile.place(version_line), yfile.problems)
    title_nb, title_en, title_line = yfile.bilingual(top, "title", _("The title"), required=True)
    for value in (title_nb, title_en):
        check_length(value, "name", _("The title"), yfile.place(title_line), yfile.problems)
    audience_nb, audience_en, audience_line = yfile.bilingual(
        top, "audience", _("The audience"), required=False
    )
    for value in (audience_nb, audience_en):
        check_length(value, "name", _("The audience"), yfile.place(audience_line), yfile.problems)
    intro_nb, intro_en, _i = yfile.bilingual(top, "intro", _("The introduction"), required=False)
    data = InstrumentData(
        code=code,
        kind=kind,
        version=version,
        title_nb=title_nb,
        title_en=title_en,
        audience_nb=audience_nb,
        audience_en=audience_en,
        intro_nb=intro_nb,
        intro_en=intro_en,
    )
    questions_node, questions_line = yfile.get(top, "questions")
    if questions_node is None:
        yfile.add(questions_line, _("The questions are missing (field “questions”)."))
        return data
    if questions_node.kind != "seq" or not questions_node.items:
        yfile.add(questions_line, _("The questions must be a non-empty list."))
        return data
    codes: dict[str, int] = {}
    for item in questions_node.items:
        if item.kind != "map":
            yfile.add(item.line, _("Each question must be a mapping of code, text, scale, …"))
            continue
        question = _question(yfile, item, kind, standard_codes, drop)
        if question.code:
            if question.code in codes:
                yfile.add(
                    item.line,
                    _(
                        "The question code “%(code)s” is used twice (first on line %(line)d).",
                        code=question.code,
                        line=codes[question.code],
                    ),
                )
            codes[question.code] = item.line
        data.questions.append(question)
    return data


def _question(
    yfile: YamlFile, node: Node, kind: str, standard_codes: set[str], drop: bool
) -> QuestionData:
    yfile.check_keys(node, QUESTION_KEYS)
    code, code_line = yfile.text(node, "code", _("The question code"))
    if code and not QUESTION_CODE_RE.match(code):
        yfile.add(
            code_line,
            _(
                "The question code “%(code)s” must start with a letter and use only letters, "
                "digits, “.”, “_” and “-” (at most 20).",
                code=code,
            ),
        )
    text_nb, text_en, text_line = yfile.bilingual(node, "text", _("The text"), required=True)
    for value in (text_nb, text_en):
        if len(value) > MAX_QUESTION_TEXT:
            yfile.add(
                text_line,
                _("The text is longer than %(max)d characters.", max=MAX_QUESTION_TEXT),
            )
    scale, scale_line = yfile.text(node, "scale", _("The scale"))
    allowed = SCALES_BY_KIND.get(kind, tuple(s.value for s in Scale))
    if scale and scale not in allowed:
        yfile.add(
            scale_line,
            _(
                "The scale “%(scale)s” is not allowed here: use %(known)s.",
                scale=scale,
                known=", ".join(allowed),
            ),
        )
    positive, positive_line = yfile.text(node, "positive", _("The positive answer"))
    if positive and positive not in ("agree", "disagree"):
        yfile.add(positive_line, _("“positive” must be agree or disagree."))
    standards: list[str] = []
    listed, line = yfile.get(node, "standards")
    if listed is None:
        yfile.add(line, _("The standards are missing (field “standards”; [] for none)."))
    elif listed.kind == "scalar" and listed.value is None:
        pass
    elif listed.kind != "seq":
        yfile.add(line, _('The standards must be a list of codes, e.g. ["4.6", "5.1"].'))
    else:
        for entry in listed.items:
            std = str(entry.text_value()).strip() if entry.kind == "scalar" else ""
            if std and drop and std not in standard_codes:
                continue
            if not std or std not in standard_codes:
                yfile.add(
                    entry.line,
                    _("“%(code)s” is not a standard of this edition.", code=std or entry.kind),
                )
            elif std in standards:
                yfile.add(entry.line, _("“%(code)s” is listed twice.", code=std))
            else:
                standards.append(std)
    return QuestionData(
        code=code,
        text_nb=text_nb,
        text_en=text_en,
        scale=scale,
        positive=positive,
        standards=standards,
    )


# --- loading ---------------------------------------------------------------------------------


@dataclass
class LoadResult:
    edition: Edition | None
    instruments: list[tuple[str, str]] = field(default_factory=list)  # (code, loaded|unchanged)
    problems: list[Problem] = field(default_factory=list)


def check_instruments(path: str | Path) -> LoadResult:
    """Find the edition of ``path`` in the database and check its instrument files."""
    return _check(path)[0]


def _check(path: str | Path) -> tuple[LoadResult, list[InstrumentData]]:
    folder = instruments_folder(path)
    with message_locale():
        slug = edition_slug_of(folder)
        place = Place(str(folder.parent / EDITION_FILE) + ":1", (0, 1))
        if slug is None:
            problem = Problem(place, _("No edition file beside the instruments folder."))
            return LoadResult(None, problems=[problem]), []
        edition = db.session.scalar(sa.select(Edition).where(Edition.slug == slug))
        if edition is None:
            return LoadResult(
                None,
                problems=[
                    Problem(
                        place,
                        _(
                            "The edition “%(slug)s” is not loaded: load it with "
                            "“flask standards load” first.",
                            slug=slug,
                        ),
                    )
                ],
            ), []
        codes = set(
            db.session.scalars(sa.select(Standard.code).where(Standard.edition_id == edition.id))
        )
    data, problems = parse_instruments(folder, codes)
    result = LoadResult(edition, problems=problems)
    return result, data or []


def load_instruments(path: str | Path) -> LoadResult:
    """Check and load every instrument of an edition folder: all or nothing. An instrument
    already collected keeps its questions' rows (answers point at them): texts, scale-free
    fields and standards are updated, new questions added; removing a question that has
    answers, or changing its scale, is a problem and nothing is loaded."""
    result, data = _check(path)
    if result.problems or result.edition is None:
        return result
    edition = result.edition
    existing = {
        i.code: i
        for i in db.session.scalars(
            sa.select(Instrument).where(Instrument.edition_id == edition.id)
        )
    }
    problems = Problems()
    folder = instruments_folder(path)
    plans: list[tuple[InstrumentData, Instrument | None]] = []
    for item in data:
        current = existing.get(item.code)
        if current is not None and current.content_hash == item.content_hash():
            result.instruments.append((item.code, "unchanged"))
            continue
        if current is not None:
            _check_compatible(current, item, folder, problems)
        plans.append((item, current))
    if problems:
        result.problems = problems.sorted()
        return result
    for position, (item, current) in enumerate(plans):
        _write(
            edition,
            item,
            current,
            INSTRUMENT_CODES.index(item.code) if item.code in INSTRUMENT_CODES else position,
        )
        result.instruments.append((item.code, "loaded"))
    db.session.commit()
    return result


def load_instrument_data(edition: Edition, data: list[InstrumentData]) -> None:
    """Write parsed instruments into an edition that has none of them yet (the demo)."""
    for item in data:
        position = INSTRUMENT_CODES.index(item.code) if item.code in INSTRUMENT_CODES else 99
        _write(edition, item, None, position)
    db.session.flush()


def _check_compatible(
    current: Instrument, item: InstrumentData, folder: Path, problems: Problems
) -> None:
    used = db.session.scalar(sa.select(sa.exists().where(Collection.instrument_id == current.id)))
    if not used:
        return
    new = {q.code: q for q in item.questions}
    place = Place(f"{folder}/{item.code.replace('_', '-')}.yaml:1", (0, 1))
    for question in current.questions:
        answered = db.session.scalar(
            sa.select(sa.exists().where(Answer.question_id == question.id))
        )
        if not answered:
            continue
        if question.code not in new:
            problems.add(
                place,
                _(
                    "The question “%(code)s” has answers and cannot be removed; keep it or "
                    "publish a new edition.",
                    code=question.code,
                ),
            )
        elif new[question.code].scale != question.scale:
            problems.add(
                place,
                _(
                    "The question “%(code)s” has answers: its scale cannot change.",
                    code=question.code,
                ),
            )


def _write(
    edition: Edition, item: InstrumentData, current: Instrument | None, position: int
) -> None:
    instrument = current or Instrument(edition_id=edition.id, code=item.code)
    instrument.kind = item.kind
    instrument.version = item.version
    instrument.title_nb, instrument.title_en = item.title_nb, item.title_en
    instrument.audience_nb, instrument.audience_en = item.audience_nb, item.audience_en
    instrument.intro_nb, instrument.intro_en = item.intro_nb, item.intro_en
    instrument.position = position
    instrument.content_hash = item.content_hash()
    if current is None:
        db.session.add(instrument)
    old = {q.code: q for q in instrument.questions}
    keep = []
    for index, q in enumerate(item.questions):
        row = old.pop(q.code, None) or Question(code=q.code)
        row.position = index
        row.text_nb, row.text_en = q.text_nb, q.text_en
        row.scale, row.positive, row.standards = q.scale, q.positive, list(q.standards)
        keep.append(row)
    # Questions left in ``old`` have no answers (checked above): they go.
    instrument.questions = keep
    db.session.flush()
