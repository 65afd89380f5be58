"""The writes and rules of the surveys: settings, collection windows, single-use codes, kiosk
sessions, storing an anonymous response. Permission checks first (deny by default); the acting
user is passed in; every change by a signed-in user has an audit entry. A response itself has
no actor and no audit entry: that would say who answered when.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from kvip.accounts.models import User
from kvip.core import audit
from kvip.core.dates import date_problem, today
from kvip.core.db import utcnow
from kvip.core.errors import NotFound, ServiceError
from kvip.core.permissions import require
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.network.models import Network
from kvip.surveys.models import (
    AGREE4,
    MIN_RESPONDENTS,
    YES_NO_NA,
    Answer,
    CodeChannel,
    Collection,
    Instrument,
    InstrumentKind,
    KioskSession,
    Response,
    ResponseCode,
    Scale,
    SurveySettings,
)

# A short code: 8 characters without look-alikes (no 0/O, 1/I/L), printed as ABCD-EFGH.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_CODES = 200
MAX_TEXT = 2000
# Collection windows: at most a year long.
MAX_WINDOW_DAYS = 366
# Answers queued on a kiosk may arrive a few days after the window closed.
KIOSK_GRACE_DAYS = 7
# Eleven digits in a row (spaces or dots allowed between the groups 6+5): looks like a
# Norwegian national identity number (fødselsnummer / D-nummer).
_FNR_RE = re.compile(r"(?<!\d)\d{6}[\s.]?\d{5}(?!\d)")
_SUBMISSION_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- settings ------------------------------------------------------------------------------


def settings_for(network_id: int) -> SurveySettings:
    """The network's settings; the defaults (not stored) for a network without a row."""
    row = db.session.get(SurveySettings, network_id)
    return row or SurveySettings(
        network_id=network_id, min_respondents=MIN_RESPONDENTS, record_audit_sample=10
    )


def min_respondents(network_id: int) -> int:
    """The network's threshold, never below :data:`MIN_RESPONDENTS`."""
    value = db.session.scalar(
        sa.select(SurveySettings.min_respondents).where(SurveySettings.network_id == network_id)
    )
    return max(MIN_RESPONDENTS, value or MIN_RESPONDENTS)


def update_settings(
    user: User, network: Network, *, min_respondents: int, record_audit_sample: int
) -> SurveySettings:
    """Change a network's threshold (never below 5) and record-audit sample size (1–100)."""
    require(user, "surveys.settings", network)
    fields: dict[str, str] = {}
    if min_respondents < MIN_RESPONDENTS or min_respondents > 100:
        fields["min_respondents"] = _(
            "The threshold must be a whole number from %(low)d to 100.", low=MIN_RESPONDENTS
        )
    if not 1 <= record_audit_sample <= 100:
        fields["record_audit_sample"] = _("The sample must be a whole number from 1 to 100.")
    if fields:
        raise ServiceError(next(iter(fields.values())), fields=fields)
    row = db.session.get(SurveySettings, network.id)
    if row is None:
        row = SurveySettings(network_id=network.id)
        db.session.add(row)
        before: dict[str, Any] = {"min_respondents": None, "record_audit_sample": None}
    else:
        before = audit.snapshot(row, ("min_respondents", "record_audit_sample"))
    row.min_respondents = min_respondents
    row.record_audit_sample = record_audit_sample
    db.session.flush()
    changes = {k: (before[k], getattr(row, k)) for k in before}
    audit.record(user, "survey_settings", network.id, changes=changes, network_id=network.id)
    db.session.commit()
    return row


# --- instruments and collections -------------------------------------------------------------


def instruments_of(
    edition_id: int, kind: str | None = InstrumentKind.questionnaire.value
) -> list[Instrument]:
    """The edition's instruments in their order (questionnaires only by default)."""
    query = sa.select(Instrument).where(Instrument.edition_id == edition_id)
    if kind:
        query = query.where(Instrument.kind == kind)
    return list(db.session.scalars(query.order_by(Instrument.position, Instrument.id)))


def collections_of(assessment_id: int) -> list[Collection]:
    return list(
        db.session.scalars(
            sa.select(Collection)
            .join(Instrument, Instrument.id == Collection.instrument_id)
            .where(Collection.assessment_id == assessment_id)
            .order_by(Instrument.position)
        )
    )


def collection_for(assessment: Assessment, instrument_code: str) -> Collection:
    """The assessment's collection of an instrument, or 404."""
    collection = db.session.scalar(
        sa.select(Collection)
        .join(Instrument, Instrument.id == Collection.instrument_id)
        .where(Collection.assessment_id == assessment.id, Instrument.code == instrument_code)
    )
    if collection is None:
        raise NotFound(_("No collection of this questionnaire is open for the assessment."))
    return collection


def open_collection(
    user: User,
    assessment: Assessment,
    instrument_codes: list[str],
    opens: date | None,
    closes: date | None,
) -> list[Collection]:
    """Open (or move) the collection window of the chosen questionnaires: the unit's lead,
    while the cycle is not closed."""
    require(user, "surveys.manage", assessment)
    cycle: Cycle = assessment.cycle
    fields: dict[str, str] = {}
    if cycle.state == "closed":
        raise ServiceError(_("The cycle is closed: no new answers can be collected."))
    known = {i.code: i for i in instruments_of(cycle.edition_id)}
    if not known:
        raise ServiceError(_("This edition has no questionnaires."))
    chosen = [known[c] for c in dict.fromkeys(instrument_codes) if c in known]
    if not chosen or len(chosen) != len(set(instrument_codes)):
        fields["instruments"] = _("Choose one or more of the questionnaires listed.")
    if opens is None or (problem := date_problem(opens)):
        fields["opens"] = _("Enter the first day.") if opens is None else str(problem)
    if closes is None or (problem := date_problem(closes)):
        fields["closes"] = _("Enter the last day.") if closes is None else str(problem)
    if opens and closes and "opens" not in fields and "closes" not in fields:
        if closes < opens:
            fields["closes"] = _("The last day cannot be before the first day.")
        elif (closes - opens).days > MAX_WINDOW_DAYS:
            fields["closes"] = _("A collection window is at most a year long.")
        elif closes < today():
            fields["closes"] = _("The last day has passed.")
    if fields:
        raise ServiceError(next(iter(fields.values())), fields=fields)
    assert opens is not None and closes is not None
    existing = {c.instrument_id: c for c in collections_of(assessment.id)}
    out = []
    for instrument in chosen:
        collection = existing.get(instrument.id)
        network_id = cycle.network_id
        if collection is None:
            collection = Collection(
                assessment_id=assessment.id,
                instrument_id=instrument.id,
                opens=opens,
                closes=closes,
                created_by_id=user.id,
            )
            db.session.add(collection)
            db.session.flush()
            audit.record(
                user,
                "collection",
                collection.id,
                action="create",
                changes={
                    "instrument": (None, instrument.code),
                    "opens": (None, opens),
                    "closes": (None, closes),
                },
                network_id=network_id,
                unit_id=assessment.unit_id,
            )
        else:
            before = audit.snapshot(collection, ("opens", "closes"))
            collection.opens, collection.closes = opens, closes
            db.session.flush()
            audit.record(
                user,
                "collection",
                collection.id,
                changes={k: (before[k], getattr(collection, k)) for k in before},
                network_id=network_id,
                unit_id=assessment.unit_id,
            )
        out.append(collection)
    db.session.commit()
    return out


# --- single-use codes -----------------------------------------------------------------------


def normalise_code(raw: str) -> str:
    """What a person typed (spaces, dashes, lower case) as the stored form of a code."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())[: CODE_LENGTH * 2]


def pretty_code(code: str) -> str:
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def create_codes(
    user: User, assessment: Assessment, instrument_code: str, count: int, channel: str
) -> list[str]:
    """Make ``count`` single-use codes for a collection: the unit's lead. The codes are
    returned once, to print or hand out; only their hashes are stored."""
    require(user, "surveys.manage", assessment)
    collection = collection_for(assessment, instrument_code)
    if channel not in {c.value for c in CodeChannel}:
        raise ServiceError(
            _("Unknown kind of code."), fields={"channel": _("Unknown kind of code.")}
        )
    if not 1 <= count <= MAX_CODES:
        message = _("Make from 1 to %(max)d codes at a time.", max=MAX_CODES)
        raise ServiceError(message, fields={"count": message})
    if collection.closes < today():
        raise ServiceError(_("The collection window has closed: move its last day first."))
    codes: list[str] = []
    created_on = today()
    while len(codes) < count:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        codes.append(code)
    db.session.add_all(
        ResponseCode(
            collection_id=collection.id, code_hash=_sha(c), channel=channel, created_on=created_on
        )
        for c in codes
    )
    audit.record(
        user,
        "collection",
        collection.id,
        action="codes",
        note=f"{count} {channel}",
        network_id=assessment.cycle.network_id,
        unit_id=assessment.unit_id,
    )
    db.session.commit()
    return codes


@dataclass
class CodeLookup:
    """What a typed code leads to: a collection to answer, or why not (``problem``)."""

    code: ResponseCode | None
    collection: Collection | None
    problem: str = ""  # "unknown" | "used" | "closed" | "not_yet"


def look_up_code(raw: str) -> CodeLookup:
    """Find an unused code and its open collection; never changes anything."""
    code = normalise_code(raw)
    if len(code) != CODE_LENGTH:
        return CodeLookup(None, None, "unknown")
    row = db.session.scalar(sa.select(ResponseCode).where(ResponseCode.code_hash == _sha(code)))
    if row is None:
        return CodeLookup(None, None, "unknown")
    if row.used:
        return CodeLookup(row, None, "used")
    collection = db.session.get(Collection, row.collection_id)
    assert collection is not None
    day = today()
    if day < collection.opens:
        return CodeLookup(row, collection, "not_yet")
    if day > collection.closes:
        return CodeLookup(row, collection, "closed")
    return CodeLookup(row, collection, "")


# --- answers ---------------------------------------------------------------------------------


def looks_like_identity_number(text: str) -> bool:
    """True if the text holds 11 digits in a row (with at most one space or dot after the
    sixth): what a fødselsnummer or D-nummer looks like."""
    return bool(_FNR_RE.search(text or ""))


def _scale_values(scale: str) -> Mapping[str, int]:
    return AGREE4 if scale == Scale.agree4.value else YES_NO_NA


def validate_answers(
    instrument: Instrument, raw: Mapping[str, Any]
) -> dict[int, tuple[int | None, str]]:
    """Check one respondent's answers (question code → answer word or text) against the
    instrument: unknown codes, answers outside the scale, oversized text and text that looks
    like an identity number are refused (422) with a message naming the question; nothing is
    stored. Returns question id → (value, text)."""
    questions = {q.code: q for q in instrument.questions}
    fields: dict[str, str] = {}
    out: dict[int, tuple[int | None, str]] = {}
    if not isinstance(raw, Mapping):
        raise ServiceError(_("The answers could not be read."), code="bad_answers")
    for code, value in raw.items():
        question = questions.get(str(code))
        if question is None:
            fields[str(code)[:40]] = _("This question is not part of the questionnaire.")
            continue
        if question.scale == Scale.text.value:
            text = value.strip() if isinstance(value, str) else None
            if text is None:
                fields[code] = _("The answer must be text.")
            elif len(text) > MAX_TEXT:
                fields[code] = _("The text is longer than %(max)d characters.", max=MAX_TEXT)
            elif looks_like_identity_number(text):
                fields[code] = _(
                    "The text looks like a national identity number (11 digits). Answers are "
                    "anonymous: please remove it and send again."
                )
            elif text:
                out[question.id] = (None, text)
            continue
        values = _scale_values(question.scale)
        if not isinstance(value, str) or value not in values:
            fields[code] = _("Choose one of the answers shown.")
            continue
        out[question.id] = (values[value], "")
    if fields:
        raise ServiceError(
            _("Some answers could not be accepted; nothing was saved."),
            fields=fields,
            code="invalid_answers",
        )
    if not out:
        raise ServiceError(
            _("Answer at least one question (“Won’t say” counts) before sending."),
            code="no_answers",
        )
    return out


def submission_key(submission_id: str) -> str | None:
    """The stored form of a submission id, or None if it is not one."""
    if not isinstance(submission_id, str) or not _SUBMISSION_RE.match(submission_id):
        return None
    return _sha(submission_id)


def submit_response(
    collection: Collection,
    raw_answers: Mapping[str, Any],
    submission_id: str,
    *,
    code: ResponseCode | None = None,
    grace_days: int = 0,
) -> bool:
    """Store one respondent's answers once. ``submission_id`` is the random id the page (or
    the kiosk's queue) made for this questionnaire: sending it again stores nothing and
    answers as the first time (returns False). The code, if any, is used up in the same
    transaction; the response keeps no link to it, nor the time of day, nor who sent it."""
    if not isinstance(submission_id, str) or not _SUBMISSION_RE.match(submission_id):
        raise ServiceError(
            _("The questionnaire could not be identified; reload the page."), code="bad_submission"
        )
    key = _sha(submission_id)
    if db.session.scalar(sa.select(sa.exists().where(Response.submission_hash == key))):
        return False
    day = today()
    if not (collection.opens <= day <= collection.closes + timedelta(days=grace_days)):
        raise ServiceError(
            _("This questionnaire is not open for answers now."), status=409, code="closed"
        )
    instrument = db.session.get(Instrument, collection.instrument_id)
    assert instrument is not None
    answers = validate_answers(instrument, raw_answers)
    if code is not None:
        # Used up only if still unused, in one statement: two tabs cannot both use it.
        used = db.session.execute(
            sa.update(ResponseCode)
            .where(ResponseCode.id == code.id, ResponseCode.used.is_(False))
            .values(used=True)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            db.session.rollback()
            raise ServiceError(_("This code has already been used."), status=409, code="code_used")
    response = Response(collection_id=collection.id, received_on=day, submission_hash=key)
    response.answers = [Answer(question_id=qid, value=v, text=t) for qid, (v, t) in answers.items()]
    db.session.add(response)
    try:
        db.session.commit()
    except IntegrityError:
        # The same submission arrived twice at once: the other one was stored.
        db.session.rollback()
        return False
    return True


# --- kiosk -----------------------------------------------------------------------------------


def start_kiosk(user: User, assessment: Assessment, instrument_codes: list[str]) -> str:
    """Start kiosk mode for the unit's tablet: any staff member of the unit, with open
    collections only. Returns the tablet's token (stored hashed)."""
    require(user, "surveys.kiosk", assessment)
    day = today()
    open_codes = [c.instrument.code for c in collections_of(assessment.id) if c.is_open(day)]
    chosen = [c for c in dict.fromkeys(instrument_codes) if c in open_codes]
    if not chosen:
        raise ServiceError(
            _("Choose one or more questionnaires whose collection is open today."),
            fields={
                "instruments": _(
                    "Choose one or more questionnaires whose collection is open today."
                )
            },
        )
    token = secrets.token_urlsafe(32)
    session = KioskSession(
        assessment_id=assessment.id,
        token_hash=_sha(token),
        instruments=chosen,
        started_by_id=user.id,
    )
    db.session.add(session)
    db.session.flush()
    audit.record(
        user,
        "kiosk",
        session.id,
        action="start",
        note=", ".join(chosen),
        network_id=assessment.cycle.network_id,
        unit_id=assessment.unit_id,
    )
    db.session.commit()
    return token


def kiosk_session(token: str | None) -> KioskSession | None:
    """The running kiosk session of a token, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(KioskSession).where(
            KioskSession.token_hash == _sha(token), KioskSession.ended_at.is_(None)
        )
    )


def kiosk_submit(
    session: KioskSession, instrument_code: str, answers: Mapping[str, Any], submission_id: str
) -> bool:
    """Store a respondent's answers sent from the kiosk (maybe late, from its offline queue)."""
    if instrument_code not in session.instruments:
        raise ServiceError(
            _("This questionnaire is not offered on this tablet."), code="unknown_instrument"
        )
    assessment = db.session.get(Assessment, session.assessment_id)
    assert assessment is not None
    collection = collection_for(assessment, instrument_code)
    return submit_response(collection, answers, submission_id, grace_days=KIOSK_GRACE_DAYS)


def password_ok(user: User, password: str) -> bool:
    """Whether this is the user's password (a wrong one is a failed sign-in, as at sign-in)."""
    from kvip.accounts import services as accounts

    return accounts.authenticate(user.email, password) is not None


def close_kiosk(session: KioskSession, check: str | None, proof: str) -> bool:
    """End kiosk mode left while the tablet was offline: the tablet checked the starter's
    password itself (against a key it derived from it when kiosk mode started) and now
    shows that key; ``check`` is its SHA-256, kept with the tablet's session since the start.
    Nobody is signed in; the starter signs in as usual. False when the key does not match."""
    if not check or not re.fullmatch(r"[0-9a-f]{64}", proof or ""):
        return False
    if not secrets.compare_digest(hashlib.sha256(bytes.fromhex(proof)).hexdigest(), check):
        return False
    session = db.session.merge(session)
    session.ended_at = utcnow()
    starter = db.session.get(User, session.started_by_id)
    audit.record(starter, "kiosk", session.id, action="end", note="offline", unit_id=None)
    db.session.commit()
    return True


def end_kiosk(session: KioskSession, password: str) -> User | None:
    """End kiosk mode with the password of the staff member who started it; returns them
    (to sign in again) or None (wrong password: the kiosk goes on)."""
    from kvip.accounts import services as accounts

    starter = db.session.get(User, session.started_by_id)
    if starter is None:
        return None
    user = accounts.authenticate(starter.email, password)
    if user is None:
        return None
    session = db.session.merge(session)
    session.ended_at = utcnow()
    audit.record(user, "kiosk", session.id, action="end", unit_id=None)
    db.session.commit()
    return user
