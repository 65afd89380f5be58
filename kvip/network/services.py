"""Networks, institutions and units: validated writes with audit entries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip.accounts.permissions import coordinated_network_ids
from kvip.core import audit, versioning
from kvip.core.errors import ServiceError
from kvip.core.permissions import require
from kvip.core.text import clean_line, line_problem
from kvip.extensions import db
from kvip.network.models import (
    MIN_GROUP_SIZE,
    UNIT_KINDS,
    BenchmarkVisibility,
    Institution,
    Network,
    Unit,
)

INSTITUTION_FIELDS = ("name", "region")
UNIT_FIELDS = ("name", "institution_id", "kind", "beds", "region", "active")
NETWORK_FIELDS = (
    "name",
    "benchmark_visibility",
    "min_group_size",
    "visit_date_tolerance_days",
    "comment_period_days",
    "carry_over_default",
)


def networks_for(user: Any) -> list[Network]:
    """Networks the user manages (all for admins)."""
    query = sa.select(Network).order_by(Network.name)
    if not user.is_admin:
        query = query.where(Network.id.in_(coordinated_network_ids(user)))
    return list(db.session.scalars(query))


def create_network(actor: Any, name: str, slug: str) -> Network:
    """Create a network (platform admins, or the CLI when ``actor`` is None)."""
    if actor is not None:
        require(actor, "platform.admin")
    if not name.strip() or not slug.strip():
        raise ServiceError(_("Enter a name and a short name."))
    if problem := line_problem(name):
        raise ServiceError(problem, fields={"name": problem})
    if db.session.scalar(sa.select(Network).where(Network.slug == slug)):
        raise ServiceError(
            _("A network with this short name exists."), fields={"slug": _("Taken.")}
        )
    network = Network(name=clean_line(name).strip(), slug=slug.strip())
    db.session.add(network)
    db.session.flush()
    audit.record(
        actor,
        "network",
        network.id,
        action="create",
        changes={"name": (None, network.name)},
        network_id=network.id,
    )
    db.session.commit()
    return network


def group_size_message() -> str:
    return _(
        "Choose a number from %(min)d to 50: groups of fewer than %(min)d units could reveal a unit.",
        min=MIN_GROUP_SIZE,
    )


def update_network(
    actor: Any,
    network: Network,
    *,
    name: str,
    benchmark_visibility: str,
    min_group_size: int,
    visit_date_tolerance_days: int | None = None,
    comment_period_days: int | None = None,
    carry_over_default: bool | None = None,
    version: Any = None,
) -> Network:
    """Change a network's name, benchmark settings, the days its date rules allow and where new
    self-assessments start (``carry_over_default``); None keeps a value. ``version``: the one
    the person saw; an older one or a lost race raises ``EditConflict``."""
    require(actor, "network.manage", network.id)
    versioning.check_version("network", network, version)
    errors = {}
    if not name.strip():
        errors["name"] = _("Enter a name.")
    elif problem := line_problem(name):
        errors["name"] = problem
    if benchmark_visibility not in {v.value for v in BenchmarkVisibility}:
        errors["benchmark_visibility"] = _("Unknown choice.")
    if not MIN_GROUP_SIZE <= min_group_size <= 50:
        errors["min_group_size"] = group_size_message()
    if visit_date_tolerance_days is not None and not 0 <= visit_date_tolerance_days <= 30:
        errors["visit_date_tolerance_days"] = _("Choose a number from 0 to 30.")
    if comment_period_days is not None and not 0 <= comment_period_days <= 90:
        errors["comment_period_days"] = _("Choose a number from 0 to 90.")
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)
    with versioning.guarded("network", network):
        before = audit.snapshot(network, NETWORK_FIELDS)
        network.name, network.benchmark_visibility, network.min_group_size = (
            clean_line(name).strip(),
            benchmark_visibility,
            min_group_size,
        )
        if visit_date_tolerance_days is not None:
            network.visit_date_tolerance_days = visit_date_tolerance_days
        if comment_period_days is not None:
            network.comment_period_days = comment_period_days
        if carry_over_default is not None:
            network.carry_over_default = bool(carry_over_default)
        audit.record_diff(actor, "network", network, before, network_id=network.id)
        db.session.commit()
    return network


def _check_institution(network_id: int, name: str, current_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Enter the institution's name.")
    elif problem := line_problem(name):
        errors["name"] = problem
    else:
        other = db.session.scalar(
            sa.select(Institution).where(
                Institution.network_id == network_id, Institution.name == name.strip()
            )
        )
        if other is not None and other.id != current_id:
            errors["name"] = _("An institution with this name exists in the network.")
    return errors


def save_institution(
    actor: Any,
    network_id: int,
    institution: Institution | None,
    *,
    name: str,
    region: str,
    version: Any = None,
) -> Institution:
    """Create or change an institution of a network (``version`` as in :func:`update_network`)."""
    require(actor, "network.manage", network_id)
    name, region = clean_line(name), clean_line(region)
    if institution is not None:
        versioning.check_version("institution", institution, version)
    errors = _check_institution(network_id, name, institution.id if institution else None)
    if problem := line_problem(region):
        errors["region"] = problem
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)
    creating = institution is None
    with versioning.guarded("institution", institution):
        if institution is None:
            institution = Institution(network_id=network_id, name="", region="")
            db.session.add(institution)
        before = audit.snapshot(institution, INSTITUTION_FIELDS)
        institution.name, institution.region = name.strip(), region.strip()
        db.session.flush()
        audit.record_diff(
            actor,
            "institution",
            institution,
            before,
            action="create" if creating else "update",
            network_id=network_id,
        )
        db.session.commit()
    return institution


def save_unit(
    actor: Any,
    network_id: int,
    unit: Unit | None,
    *,
    name: str,
    institution_id: int,
    kind: str,
    beds: int,
    region: str,
    active: bool,
    version: Any = None,
) -> Unit:
    """Create or change a unit; validates every field and changes nothing on any error
    (``version`` as in :func:`update_network`)."""
    require(actor, "network.manage", network_id)
    if unit is not None:
        versioning.check_version("unit", unit, version)
    errors: dict[str, str] = {}
    name, region = clean_line(name), clean_line(region)
    if not name.strip():
        errors["name"] = _("Enter the unit's name.")
    elif problem := line_problem(name):
        errors["name"] = problem
    if problem := line_problem(region):
        errors["region"] = problem
    institution = db.session.get(Institution, institution_id)
    if institution is None or institution.network_id != network_id:
        errors["institution_id"] = _("Choose an institution of this network.")
    if kind not in UNIT_KINDS:
        errors["kind"] = _("Unknown kind of unit.")
    if not 0 <= beds <= 500:
        errors["beds"] = _("Beds must be between 0 and 500.")
    if not errors and institution is not None:
        other = db.session.scalar(
            sa.select(Unit).where(Unit.institution_id == institution_id, Unit.name == name.strip())
        )
        if other is not None and (unit is None or other.id != unit.id):
            errors["name"] = _("The institution already has a unit with this name.")
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)
    creating = unit is None
    with versioning.guarded("unit", unit):
        if unit is None:
            unit = Unit(network_id=network_id, name="", institution_id=institution_id)
            db.session.add(unit)
        before = audit.snapshot(unit, UNIT_FIELDS)
        unit.name, unit.institution_id, unit.kind = name.strip(), institution_id, kind
        unit.beds, unit.region, unit.active = beds, region.strip(), active
        db.session.flush()
        audit.record_diff(
            actor,
            "unit",
            unit,
            before,
            action="create" if creating else "update",
            network_id=network_id,
            unit_id=unit.id,
        )
        db.session.commit()
    return unit
