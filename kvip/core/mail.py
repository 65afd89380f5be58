"""Outgoing e-mail: every message is written to the outbox first, then sent by SMTP when one
is configured (``KVIP_SMTP_HOST``); without SMTP it stays ``held`` for an admin to read.

With the job queue (kvip.jobs, always there in the app) a request only marks the message
``queued`` and enqueues it; the worker sends it, retrying with exponential backoff
(:data:`RETRY_DELAYS`), and marks it ``sent`` or, after the last try, ``failed`` (an admin can
send a failed message again from the outbox page: nothing is lost)."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage

from flask import current_app

from kvip.core import jobs
from kvip.core.db import utcnow
from kvip.core.models import OutboxEmail
from kvip.extensions import db


def config(name: str, default: str = "") -> str:
    return str(current_app.config.get(name) or os.environ.get(name) or default)


def smtp_configured() -> bool:
    return bool(config("KVIP_SMTP_HOST"))


def deliver(message: OutboxEmail) -> None:
    """Send one outbox message through SMTP (STARTTLS and login when configured)."""
    mail = EmailMessage()
    mail["From"] = config("KVIP_MAIL_FROM", "kvip@localhost")
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail.set_content(message.body)
    for attachment in message.attachments:
        add_attachment(mail, attachment.filename, attachment.content_type, attachment.content)
    port = int(config("KVIP_SMTP_PORT", "25"))
    with smtplib.SMTP(config("KVIP_SMTP_HOST"), port, timeout=20) as smtp:
        if config("KVIP_SMTP_STARTTLS", "0").lower() in ("1", "true", "yes"):
            smtp.starttls()
        user = config("KVIP_SMTP_USER")
        if user:
            smtp.login(user, config("KVIP_SMTP_PASSWORD"))
        smtp.send_message(mail)


def add_attachment(mail: EmailMessage, filename: str, content_type: str, content: bytes) -> None:
    """Attach ``content`` to ``mail``; ``content_type`` may carry parameters
    (``text/calendar; method=REQUEST``)."""
    kind, _sep, params = content_type.partition(";")
    maintype, _slash, subtype = kind.strip().partition("/")
    extra = {}
    for param in params.split(";"):
        key, _eq, value = param.strip().partition("=")
        if key and value:
            extra[key.strip()] = value.strip()
    mail.add_attachment(
        content, maintype=maintype, subtype=subtype, filename=filename, params=extra
    )


# Seconds before each further try after a failed one: 30 s, 2 min, 8 min, 32 min, ~2 h.
RETRY_DELAYS = (30, 120, 480, 1920, 7680)


def try_deliver(message: OutboxEmail) -> bool:
    """Send a committed outbox message if SMTP is configured: hand it to the job queue (the
    worker sends and retries), or without a queue send it now. True if it is already sent."""
    if not smtp_configured():
        return False
    if jobs.queue_available():
        message.status, message.error = "queued", ""
        db.session.commit()
        jobs.enqueue("deliver_mail", message.id)
        db.session.refresh(message)  # an immediate queue (tests) has sent it already
        return message.status == "sent"
    try:
        deliver(message)
    except (OSError, smtplib.SMTPException) as exc:
        message.status, message.error = "failed", str(exc)[:500]
        db.session.commit()
        return False
    message.status, message.sent_at = "sent", utcnow()
    db.session.commit()
    return True


def deliver_queued(message_id: int) -> float | None:
    """One try of the worker at a queued message. Returns the delay in seconds before the next
    try, or None when there is nothing more to do (sent, failed for good, or not queued)."""
    message = db.session.get(OutboxEmail, message_id)
    if message is None or message.status not in ("queued", "sending"):
        return None
    message.status = "sending"
    db.session.commit()
    try:
        deliver(message)
    except (OSError, smtplib.SMTPException) as exc:
        message.attempts += 1
        message.error = str(exc)[:500]
        retry = message.attempts <= len(RETRY_DELAYS)
        message.status = "queued" if retry else "failed"
        db.session.commit()
        if not retry:
            return None
        factor = float(current_app.config.get("KVIP_MAIL_RETRY_FACTOR", 1.0))
        return RETRY_DELAYS[message.attempts - 1] * factor
    message.attempts += 1
    message.status, message.sent_at, message.error = "sent", utcnow(), ""
    db.session.commit()
    return None


def retry_failed(message: OutboxEmail) -> None:
    """An admin sends a failed message again: a fresh set of tries."""
    message.status, message.attempts = "queued", 0
    db.session.commit()
    if not jobs.enqueue("deliver_mail", message.id):
        try_deliver(message)
