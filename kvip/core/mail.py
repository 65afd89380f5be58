"""Outgoing e-mail: every message is written to the outbox first, then sent by SMTP when one
is configured (``KVIP_SMTP_HOST``); without SMTP it stays ``held`` for an admin to read."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage

from flask import current_app

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


def try_deliver(message: OutboxEmail) -> bool:
    """Send a committed outbox message if SMTP is configured; record the outcome. True if sent."""
    if not smtp_configured():
        return False
    try:
        deliver(message)
    except (OSError, smtplib.SMTPException) as exc:
        message.status, message.error = "failed", str(exc)[:500]
        db.session.commit()
        return False
    message.status, message.sent_at = "sent", utcnow()
    db.session.commit()
    return True
