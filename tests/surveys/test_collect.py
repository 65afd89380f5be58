"""Collection: the lead opens windows and makes codes; respondents answer with a code once;
bad input is refused with 422 and nothing stored; kiosk mode."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from kvip.extensions import db
from kvip.surveys import services
from kvip.surveys.models import Answer, Collection, KioskSession, Response, ResponseCode
from tests.factories import PASSWORD, World

CODE_RE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b")


def _count(model: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_lead_opens_a_collection_and_prints_codes_shown_once(world: World, login_as: Any) -> None:
    lead = login_as("lead")
    day = date.today()
    response = lead.post(
        f"/surveys/assessments/{world.assessment.id}/collections",
        data={
            "instruments": ["staff", "young_person"],
            "opens": day.isoformat(),
            "closes": (day + timedelta(days=20)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert _count(Collection) == 2
    sheet = lead.post(
        f"/surveys/assessments/{world.assessment.id}/codes",
        data={"instrument": "staff", "count": "3", "channel": "slip"},
    )
    assert sheet.status_code == 200
    page = sheet.get_data(as_text=True)
    shown = set(CODE_RE.findall(page))
    assert len(shown) == 3
    assert page.count("<svg") >= 3  # a QR code per slip
    stored = set(db.session.scalars(sa.select(ResponseCode.code_hash)))
    assert len(stored) == 3
    assert not any(code.replace("-", "") in h for h in stored for code in shown)
    # The page of the assessment never shows the codes again.
    again = lead.get(f"/surveys/assessments/{world.assessment.id}").get_data(as_text=True)
    assert not shown & set(CODE_RE.findall(again))


def test_collection_window_errors_are_clear_and_change_nothing(world: World, login_as: Any) -> None:
    lead = login_as("lead")
    day = date.today()
    response = lead.post(
        f"/surveys/assessments/{world.assessment.id}/collections",
        data={
            "instruments": ["staff"],
            "opens": day.isoformat(),
            "closes": (day - timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "The last day cannot be before the first day." in response.get_data(as_text=True)
    assert _count(Collection) == 1  # the world's own


def test_member_may_not_open_collections_or_make_codes(world: World, login_as: Any) -> None:
    member = login_as("member")
    day = date.today().isoformat()
    url = f"/surveys/assessments/{world.assessment.id}"
    assert (
        member.post(
            url + "/collections", data={"instruments": ["staff"], "opens": day, "closes": day}
        ).status_code
        == 403
    )
    assert (
        member.post(
            url + "/codes", data={"instrument": "young_person", "count": "1", "channel": "slip"}
        ).status_code
        == 403
    )
    assert _count(ResponseCode) == 0


def _form(page: str) -> dict[str, str]:
    match = re.search(r'name="submission_id" value="([^"]+)"', page)
    assert match
    return {"submission_id": match.group(1)}


def test_a_code_answers_once_and_a_double_submit_is_stored_once(
    world: World, client: Any, codes: Any
) -> None:
    (code,) = codes(1)
    url = f"/surveys/answer/{services.pretty_code(code)}"
    page = client.get(url)
    assert page.status_code == 200
    data = _form(page.get_data(as_text=True)) | {
        "q-Y1": "strongly_agree",
        "q-Y2": "wont_say",
        "q-Y3": "Fine food",
    }
    first = client.post(url, data=data)
    assert first.status_code == 302 and first.location.endswith("/surveys/answer/thanks")
    second = client.post(url, data=data)  # double tap / back and send again
    assert second.status_code == 302 and second.location.endswith("/surveys/answer/thanks")
    assert _count(Response) == 1
    response = db.session.scalar(sa.select(Response))
    assert response is not None and response.received_on == date.today()
    values = {(a.value, a.text) for a in db.session.scalars(sa.select(Answer))}
    assert values == {(4, ""), (0, ""), (None, "Fine food")}
    # The code is used up: a friendly page, nothing stored.
    used = client.get(url)
    assert used.status_code == 410
    assert "already been used" in used.get_data(as_text=True)
    other = dict(data, submission_id="another-submission-0001")
    assert client.post(url, data=other).status_code == 410
    assert _count(Response) == 1


BIG_SMILE = "M9 19 q7 8 14 0"
BIG_FROWN = "M9 24 q7 -8 14 0"


def _faces(page: str, code: str) -> dict[str, str]:
    """The mouth drawn beside each answer of one question: {answer value: path}."""
    start = page.index(f'id="fs-{code}"')
    fieldset = page[start : page.index("</fieldset>", start)]
    return dict(
        re.findall(r'value="(\w+)"[^>]*>\s*<svg class="face".*?<path d="([^"]+)"', fieldset, re.S)
    )


def test_the_good_answer_gets_the_happy_face_also_on_negatively_worded_items(
    world: World, client: Any, codes: Any
) -> None:
    (code,) = codes(1)
    page = client.get(f"/surveys/answer/{services.pretty_code(code)}").get_data(as_text=True)
    # "I feel safe" (positive: agree): agreeing is good.
    safe = _faces(page, "Y1")
    assert safe["strongly_agree"] == BIG_SMILE and safe["strongly_disagree"] == BIG_FROWN
    # "I am bullied" (positive: disagree): disagreeing is the good answer.
    bullied = _faces(page, "Y2")
    assert bullied["strongly_disagree"] == BIG_SMILE and bullied["strongly_agree"] == BIG_FROWN
    assert bullied["wont_say"] == safe["wont_say"]  # no mood either way
    # The faces are decoration: the words beside them are what assistive technology reads.
    assert page.count('<svg class="face" aria-hidden="true"') == page.count('<svg class="face"')


def test_unknown_code_gets_a_friendly_page(world: World, client: Any) -> None:
    response = client.get("/surveys/answer/ABCD-EFGH")
    assert response.status_code == 404
    assert "We did not find this code" in response.get_data(as_text=True)
    typed = client.post("/surveys/answer", data={"code": "nope"})
    assert typed.status_code == 422
    assert _count(Response) == 0


def test_typed_code_leads_to_the_questionnaire(world: World, client: Any, codes: Any) -> None:
    (code,) = codes(1)
    response = client.post("/surveys/answer", data={"code": f" {code[:4].lower()} {code[4:]} "})
    assert response.status_code == 302
    assert response.location.endswith(f"/surveys/answer/{services.pretty_code(code)}")


def test_bad_answers_are_refused_with_422_and_nothing_is_stored(
    world: World, client: Any, codes: Any
) -> None:
    (code,) = codes(1)
    url = f"/surveys/answer/{services.pretty_code(code)}"
    base = _form(client.get(url).get_data(as_text=True))
    cases = [
        ({"q-Y1": "5"}, "Choose one of the answers shown."),
        ({"q-Y1": "agree", "q-Z9": "agree"}, "This question is not part of the questionnaire."),
        ({"q-Y3": "x" * 2001}, "longer than 2000 characters"),
        ({"q-Y3": "Han heter 01020312345 og er snill"}, "national identity number"),
        ({"q-Y3": "010203 12345"}, "national identity number"),
        ({}, "Answer at least one question"),
    ]
    for extra, message in cases:
        response = client.post(url, data=base | extra)
        assert response.status_code == 422, extra
        assert message in response.get_data(as_text=True), extra
    assert _count(Response) == 0 and _count(Answer) == 0
    assert not db.session.scalar(sa.select(ResponseCode.used))


def test_oversized_body_is_refused(world: World, client: Any, codes: Any) -> None:
    (code,) = codes(1)
    response = client.post(
        f"/surveys/answer/{services.pretty_code(code)}", data={"q-Y3": "x" * 70_000}
    )
    assert response.status_code == 413
    assert _count(Response) == 0


def test_identity_number_pattern() -> None:
    assert services.looks_like_identity_number("01020312345")
    assert services.looks_like_identity_number("fnr 010203.12345!")
    assert not services.looks_like_identity_number("tlf 12345678")
    assert not services.looks_like_identity_number("123456789012")  # 12 digits: not one


def test_kiosk_starts_signed_out_sends_once_and_ends_with_the_starters_password(
    world: World, login_as: Any
) -> None:
    member = login_as("member")
    start = member.post(
        f"/surveys/assessments/{world.assessment.id}/kiosk",
        data={"instruments": ["young_person"], "password": PASSWORD},
    )
    assert start.status_code == 302 and start.location.endswith("/surveys/kiosk")
    # Signed out: the staff pages ask to sign in.
    assert member.get(f"/surveys/assessments/{world.assessment.id}").status_code == 302
    page = member.get("/surveys/kiosk")
    assert page.status_code == 200 and "Y1" in page.get_data(as_text=True)
    kiosk = db.session.scalar(sa.select(KioskSession))
    assert kiosk is not None
    body = {
        "kiosk": kiosk.id,
        "instrument": "young_person",
        "submission_id": "k" * 24,
        "answers": {"Y1": "agree"},
    }
    assert member.post("/surveys/kiosk/responses", json=body).status_code == 201
    assert member.post("/surveys/kiosk/responses", json=body).status_code == 200  # replay
    assert _count(Response) == 1
    bad = dict(body, submission_id="b" * 24, answers={"Y1": "maybe"})
    refused = member.post("/surveys/kiosk/responses", json=bad)
    assert refused.status_code == 422 and refused.get_json()["error"]["fields"] == {
        "Y1": "Choose one of the answers shown."
    }
    other = dict(body, kiosk=kiosk.id + 1, submission_id="c" * 24)
    assert member.post("/surveys/kiosk/responses", json=other).status_code == 409
    assert _count(Response) == 1
    # Leaving needs the starter's password.
    assert member.post("/surveys/kiosk/exit", data={"password": "wrong"}).status_code == 422
    left = member.post("/surveys/kiosk/exit", data={"password": PASSWORD})
    assert left.status_code == 302
    assert member.get(f"/surveys/assessments/{world.assessment.id}").status_code == 200
    assert member.get("/surveys/kiosk").status_code == 404
    assert (
        member.post("/surveys/kiosk/responses", json=dict(body, submission_id="d" * 24)).status_code
        == 403
    )


def test_kiosk_start_needs_the_password_and_an_offline_leave_closes_only_with_its_key(
    world: World, login_as: Any
) -> None:
    import hashlib

    from kvip.core.models import AuditEvent

    member = login_as("member")
    url = f"/surveys/assessments/{world.assessment.id}/kiosk"
    key = bytes(range(32))  # the tablet's PBKDF2 key (derived in the browser)
    check = hashlib.sha256(key).hexdigest()
    refused = member.post(
        url, data={"instruments": ["young_person"], "password": "wrong", "exit_check": check}
    )
    assert refused.status_code == 302 and not refused.location.endswith("/surveys/kiosk")
    assert _count(KioskSession) == 0
    failed = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity == "session"))
    assert "sign_in_failed" in list(failed)
    start = member.post(
        url, data={"instruments": ["young_person"], "password": PASSWORD, "exit_check": check}
    )
    assert start.status_code == 302 and start.location.endswith("/surveys/kiosk")
    # Left offline; back online the tablet closes the session with the key: a wrong one
    # (or none) ends nothing.
    for proof in ("", "zz", "00" * 32, hashlib.sha256(b"guess").hexdigest()):
        wrong = member.post("/surveys/kiosk/close", json={"proof": proof})
        assert wrong.status_code == 403 and wrong.get_json()["error"]["code"] == "wrong_proof"
    assert member.get("/surveys/kiosk").status_code == 200
    closed = member.post("/surveys/kiosk/close", json={"proof": key.hex()})
    assert closed.status_code == 200 and closed.get_json() == {"ended": True}
    kiosk = db.session.scalar(sa.select(KioskSession))
    assert kiosk is not None and kiosk.ended_at is not None
    # Nobody is signed in by it: the staff pages ask to sign in; the kiosk is off.
    assert member.get(f"/surveys/assessments/{world.assessment.id}").status_code == 302
    assert member.get("/surveys/kiosk").status_code == 404
    assert member.post("/surveys/kiosk/close", json={"proof": key.hex()}).status_code == 403


def test_a_kiosk_started_without_an_offline_check_cannot_be_closed_by_key(
    world: World, login_as: Any
) -> None:
    member = login_as("member")
    member.post(
        f"/surveys/assessments/{world.assessment.id}/kiosk",
        data={"instruments": ["young_person"], "password": PASSWORD},
    )
    assert member.post("/surveys/kiosk/close", json={"proof": "00" * 32}).status_code == 403
    assert member.get("/surveys/kiosk").status_code == 200


def test_the_public_pages_are_rate_limited(app: Any, world: World) -> None:
    from kvip import create_app

    throttled = create_app({**app.config, "RATELIMIT_ENABLED": True})
    client = throttled.test_client()
    statuses = [client.get("/surveys/answer/ABCD-EFGH").status_code for _i in range(61)]
    assert statuses[:60] == [404] * 60
    assert statuses[60] == 429
    assert _count(Response) == 0
