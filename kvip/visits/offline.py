"""What the visit screens keep on a tablet for offline use: the assets and pages the service
worker stores (with a version that changes with them), the texts of its offline page, and the
notice about changes someone else left on the tablet."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from kvip.config import ROOT

# The files the visit screens use (visit mode, overview, list), stored by the service worker.
OFFLINE_ASSETS = (
    "css/kvip.css",
    "css/visits.css",
    "css/actions.css",
    "js/nav.js",
    "js/visits.js",
    "js/visits-store.js",
    "js/visits-held.js",
    "js/visits-dom.js",
    "img/visits-icon.svg",
)
# Pages stored when a visit is prepared; kept across deploys (assets are not, see below).
PAGES_CACHE = "kvip-pages"
SW_SOURCE = ROOT / "static" / "js" / "visits-sw.js"


def offline_strings() -> dict[str, str]:
    """The texts of the offline page the service worker makes (one language)."""
    return {
        "title": _("No network connection"),
        "page_not_stored": _(
            "This page is not stored on this tablet, so it cannot be shown without the network."
        ),
        "not_sent": _(
            "What you sent did not reach the server: nothing was saved. Go back and send it "
            "again when the tablet is online."
        ),
        "visit_not_stored": _(
            "This visit was not prepared on this tablet. Open it while online and press "
            "“Prepare for visit” to use it without the network."
        ),
        "stored_title": _("Stored on this tablet"),
        "nothing_stored": _("No visit is prepared for offline use on this tablet."),
        "visit_to": _("Visit to {unit}"),
        "prepared": _("Ready for offline use (prepared {time})"),
        "not_prepared": _("Not yet prepared for offline use"),
        "waiting_one": _("1 change waiting to be sent"),
        "waiting_many": _("%(n)s changes waiting to be sent", n="{n}"),
        "open_mode": _("Open visit mode"),
        "open_overview": _("Visit overview"),
        "open_list": _("My visits"),
        "not_stored_title": _("Not stored"),
        "not_stored": _(
            "Every other page – overviews, reports, self-assessments, action plans and visits "
            "that were not prepared – needs the network."
        ),
        "try_again": _("Try again"),
    }


def offline_bundle() -> dict[str, Any]:
    """What the service worker and the visit mode share: the asset list, the cache names and
    a version that changes whenever the worker, an asset or a text of the offline page does,
    so a deploy replaces the stored assets."""
    strings = {}
    for locale in ("nb", "en"):
        with force_locale(locale):
            strings[locale] = offline_strings()
    digest = hashlib.sha256(SW_SOURCE.read_bytes())
    for name in OFFLINE_ASSETS:
        digest.update(name.encode())
        digest.update((ROOT / "static" / name).read_bytes())
    digest.update(json.dumps(strings, sort_keys=True).encode())
    version = digest.hexdigest()[:16]
    return {
        "version": version,
        "assetsCache": f"kvip-assets-{version}",
        "pagesCache": PAGES_CACHE,
        "assets": [url_for("static", filename=f) for f in OFFLINE_ASSETS]
        + [url_for("visits.manifest")],
        "css": url_for("static", filename="css/kvip.css"),
        "indexUrl": url_for("visits.index"),
        "modeUrl": url_for("visits.mode", visit_id=0),
        "overviewUrl": url_for("visits.overview", visit_id=0),
        "strings": strings,
    }


def held_strings() -> dict[str, str]:
    """The texts of the notice about changes someone else left on this tablet."""
    return {
        "held_one": _("1 change by {name} is waiting on this tablet."),
        "held_many": _("{n} changes by {name} are waiting on this tablet."),
        "held_help": _(
            "They are sent only when {name} signs in on this tablet again, never in your name."
        ),
        "held_discard": _("Discard the changes by {name}"),
        "held_confirm": _(
            "Discard {n} changes by {name} for good? They have not reached the server and "
            "cannot be brought back."
        ),
        "held_confirm_yes": _("Yes, discard them"),
        "held_discarded": _("The changes by {name} were discarded."),
        "cancel": _("Cancel"),
        "mine_one": _("1 of your changes for the visit to {unit} is waiting on this tablet."),
        "mine_many": _("{n} of your changes for the visit to {unit} are waiting on this tablet."),
        "open_to_send": _("Open visit mode to send them"),
    }


def held_config(visit_id: int | None = None) -> dict[str, Any]:
    """The page's part of the held-changes notice (templates/visits/_held.html)."""
    return {
        "me": {"id": current_user.id, "name": current_user.name},
        "visitId": visit_id,
        "modeUrl": url_for("visits.mode", visit_id=0),
        "strings": held_strings(),
    }
