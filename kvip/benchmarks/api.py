"""``GET /api/v1/cycles/<id>/benchmark``: per unit × domain scores (both series), source and
self-vs-peer agreement, pseudonymised per caller exactly like the dashboards."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import fields, validate

from kvip import scoring
from kvip.benchmarks import queries
from kvip.benchmarks.context import build_context
from kvip.benchmarks.frames import agreement_of, index_by, records, rows_of, sum_counts, with_scores
from kvip.core.api import (
    SUMMARY_KEYS,
    Count,
    Id,
    OneOf,
    OutSchema,
    Percent,
    QuerySchema,
    SummarySchema,
    bp,
    errors,
)
from kvip.core.errors import NotFound, ServiceError
from kvip.core.permissions import require
from kvip.cycles.models import Cycle
from kvip.extensions import db
from kvip.visits.models import Visit


def _visible_visits(cycle_id: int, viewer: queries.Viewer) -> dict[int, int]:
    """assessment (key) → the latest completed visit's id, only where the caller may see it."""
    latest = queries.completed_visits(cycle_id)
    rows = db.session.execute(
        sa.select(latest.c.assessment_id, Visit.id)
        .join(Visit, Visit.id == latest.c.visit_id)
        .where(viewer.visit_visible)
    )
    return {int(a): int(v) for a, v in rows}


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _compact(row: dict[str, Any]) -> dict[str, Any]:
    return {"score": row["score"], "met_pct": row["met_pct"], "completeness": row["completeness"]}


def benchmark_payload(user: Any, cycle: Cycle, args: Any) -> dict[str, Any]:
    """The API answer (also used by tests to compare with the dashboards)."""
    ctx = build_context(user, cycle.network, {**args, "cycle": cycle.id})
    if ctx.refused.active:
        refused = [*ctx.refused.kinds, *ctx.refused.regions]
        raise ServiceError(
            _(
                "These filters are not offered, because combined with other views they could "
                "single out a unit: %(values)s.",
                values=", ".join(refused),
            ),
            fields={
                name: _("Not offered.")
                for name, values in (("kind", ctx.refused.kinds), ("region", ctx.refused.regions))
                if values
            },
            code="filter_not_offered",
        )
    domains = [
        {"code": str(d.code), "title": ctx.domain_title(str(d.code))} for d in rows_of(ctx.domains)
    ]
    payload: dict[str, Any] = {
        "cycle": {
            "id": cycle.id,
            "name": cycle.name,
            "year": cycle.year,
            "state": cycle.state,
            "provisional": ctx.provisional,
            "units_enrolled": ctx.cycle.enrolled,
            "units_submitted": ctx.cycle.counted,
            "units_peer_reviewed": ctx.cycle.peer_reviewed,
        },
        "provisional_note": ctx.provisional_note or None,
        "network": {"id": ctx.network.id, "name": ctx.network.name},
        "named": ctx.named,
        "min_group_size": ctx.k,
        "filters": {"kind": list(ctx.filters.kinds), "region": list(ctx.filters.regions)},
        "units_compared": ctx.group_n,
        "suppressed": ctx.suppressed,
        "domains": domains,
        "units": [],
    }
    if ctx.suppressed:
        return payload
    counts = queries.unit_domain_counts(cycle.id, None, ctx.filters, ctx.viewer)
    rows = records(with_scores(counts))
    overall = index_by(with_scores(sum_counts(counts, ["key", "series"])), "key", "series")
    pair_by_key = index_by(queries.unit_pair_counts(cycle.id, ctx.filters, ctx.viewer), "key")
    visits = _visible_visits(cycle.id, ctx.viewer)
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(int(row["key"]), []).append(row)
    units: list[dict[str, Any]] = []
    for key, unit_rows in grouped.items():
        first = unit_rows[0]
        name = first["name"] if isinstance(first["name"], str) else None
        peer_reviewed = bool(first["peer_reviewed"])
        source = "peer_reviewed" if peer_reviewed else "self_assessed"
        per_domain: dict[str, Any] = {}
        for r in unit_rows:
            entry = per_domain.setdefault(str(r["domain_code"]), {"self": None, "peer": None})
            if r["series"] == "bench":
                entry.update({k: r[k] for k in SUMMARY_KEYS})
                entry["source"] = source
            else:
                entry[r["series"]] = _compact(r)
        pair_row = pair_by_key.get(key)
        agreement = agreement_of(pair_row) if pair_row is not None else None
        bench_total = overall.get((key, "bench"))
        units.append(
            {
                "label": name or ctx.pseudonyms.label(first["position"]),
                "name": name,
                "own": bool(first["own"]),
                "unit_id": _int(first["unit_id"]),
                "assessment_id": _int(first["assessment_id"]),
                "visit_id": visits.get(key) if peer_reviewed else None,
                "source": source,
                "overall": {k: bench_total[k] for k in SUMMARY_KEYS} if bench_total else None,
                "overall_self": _compact(overall[(key, "self")])
                if (key, "self") in overall
                else None,
                "overall_peer": _compact(overall[(key, "peer")])
                if (key, "peer") in overall
                else None,
                "domains": per_domain,
                "agreement": None if agreement is None else agreement_json(agreement),
            }
        )
    units.sort(key=lambda u: (not u["own"], u["label"]))
    payload["units"] = units
    return payload


def agreement_json(a: scoring.Agreement) -> dict[str, Any]:
    """Self vs peer agreement as the API gives it (every number from :mod:`scoring`)."""
    interval = a.disagreement_interval
    return {
        "n": a.n,
        "percent": a.percent,
        "kappa": a.kappa,
        "kappa_degenerate": a.kappa_degenerate,
        "kappa_constant": a.kappa_constant,
        "ac1": a.ac1,
        "ac2": a.ac2,
        "disagreement": a.disagreement_rate,
        "disagreement_ci95": None if interval is None else [interval[0], interval[1]],
    }


_SOURCE = ["peer_reviewed", "self_assessed"]


def _coefficient(description: str) -> fields.Float:
    return fields.Float(
        allow_none=True, validate=validate.Range(-1, 1), metadata={"description": description}
    )


class CompactSummarySchema(OutSchema):
    score = Percent()
    met_pct = Percent()
    completeness = Percent()


class DomainEntrySchema(OutSchema):
    """The benchmark series (with its source) where the unit has one for the domain, and the
    self and peer series side by side."""

    score = Percent(metadata={"optional": True})
    met_pct = Percent(metadata={"optional": True})
    completeness = Percent(metadata={"optional": True})
    met = Count(metadata={"optional": True})
    partly_met = Count(metadata={"optional": True})
    not_met = Count(metadata={"optional": True})
    not_applicable = Count(metadata={"optional": True})
    applicable = Count(metadata={"optional": True})
    rated = Count(metadata={"optional": True})
    total = Count(metadata={"optional": True})
    source = OneOf(_SOURCE, metadata={"optional": True})
    self = fields.Nested(CompactSummarySchema, allow_none=True)
    peer = fields.Nested(CompactSummarySchema, allow_none=True)


class AgreementSchema(OutSchema):
    """Self vs peer where a visit is completed: percent exact agreement, linearly weighted
    kappa, Gwet's AC1/AC2 and the disagreement rate with its 95 % Wilson interval."""

    n = Count()
    percent = Percent()
    kappa = _coefficient(
        "Linearly weighted Cohen's kappa. Not meaningful where kappa_degenerate is true."
    )
    kappa_degenerate = fields.Boolean(
        metadata={
            "description": "True where one side gave the same rating to every standard "
            "compared: kappa is then 0 or undefined whatever the agreement (the kappa "
            "paradox); use ac1/ac2."
        }
    )
    kappa_constant = OneOf(
        ["self", "peer", "both"],
        allow_none=True,
        metadata={"description": "Which side gave one rating throughout, if any."},
    )
    ac1 = _coefficient("Gwet's AC1 (nominal).")
    ac2 = _coefficient("Gwet's AC2 with linear weights over not_met < partly_met < met.")
    disagreement = Percent(
        metadata={
            "description": "Percent of compared standards where self and peer ratings differ."
        }
    )
    disagreement_ci95 = fields.List(
        fields.Float(validate=validate.Range(0, 100)),
        allow_none=True,
        validate=validate.Length(2, 2),
        metadata={
            "description": "95 % Wilson interval of the disagreement rate: [low, high] in percent."
        },
    )


class BenchmarkUnitSchema(OutSchema):
    label = fields.String(
        metadata={
            "description": "The unit's name where the caller may see it, else its pseudonym "
            "in this cycle (e.g. 'Enhet K')."
        }
    )
    name = fields.String(allow_none=True)
    own = fields.Boolean(metadata={"description": "The caller's own unit."})
    unit_id = Id(allow_none=True, metadata={"description": "Only where the caller may see names."})
    assessment_id = Id(
        allow_none=True, metadata={"description": "Only where the caller may read the assessment."}
    )
    visit_id = Id(
        allow_none=True, metadata={"description": "Only where the caller may read the visit."}
    )
    source = OneOf(_SOURCE)
    overall = fields.Nested(SummarySchema, allow_none=True)
    overall_self = fields.Nested(CompactSummarySchema, allow_none=True)
    overall_peer = fields.Nested(CompactSummarySchema, allow_none=True)
    domains = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(DomainEntrySchema),
        metadata={"description": "Domain code → its benchmark, self and peer series."},
    )
    agreement = fields.Nested(AgreementSchema, allow_none=True)


class BenchmarkCycleSchema(OutSchema):
    id = Id()
    name = fields.String()
    year = fields.Integer()
    state = OneOf(["planned", "open", "closed"])
    provisional = fields.Boolean(
        metadata={"description": "The cycle is not closed yet: every figure may change."}
    )
    units_enrolled = Count(metadata={"description": "Units taking part in the cycle."})
    units_submitted = Count(
        metadata={"description": "Units in the benchmark (submitted, or visited)."}
    )
    units_peer_reviewed = Count(metadata={"description": "Units with a completed visit."})


class NetworkRefSchema(OutSchema):
    id = Id()
    name = fields.String()


class FiltersSchema(OutSchema):
    kind = fields.List(fields.String())
    region = fields.List(fields.String())


class DomainTitleSchema(OutSchema):
    code = fields.String()
    title = fields.String()


class BenchmarkSchema(OutSchema):
    cycle = fields.Nested(BenchmarkCycleSchema)
    provisional_note = fields.String(
        allow_none=True,
        metadata={"description": "The provisional warning of an open cycle, else null."},
    )
    network = fields.Nested(NetworkRefSchema)
    named = fields.Boolean(metadata={"description": "Whether the caller sees other units' names"})
    min_group_size = fields.Integer(validate=validate.Range(min=3))
    filters = fields.Nested(FiltersSchema)
    units_compared = Count()
    suppressed = fields.Boolean(
        metadata={
            "description": "True when fewer than min_group_size units match: no units listed."
        }
    )
    domains = fields.List(fields.Nested(DomainTitleSchema))
    units = fields.List(fields.Nested(BenchmarkUnitSchema))


class BenchmarkArgsSchema(QuerySchema):
    kind = fields.List(fields.String(), metadata={"description": "Only units of these kinds"})
    region = fields.List(fields.String(), metadata={"description": "Only units of these regions"})


@bp.get("/cycles/<int:cycle_id>/benchmark")
@bp.arguments(BenchmarkArgsSchema, location="query", as_kwargs=True)
@bp.response(200, BenchmarkSchema, description="The benchmark")
@errors(
    {
        403: "Not a member of the cycle's network",
        404: "No such cycle",
        422: "A filter not offered to the caller (it could single out a unit)",
    }
)
def cycle_benchmark(
    cycle_id: int, kind: list[str] | None = None, region: list[str] | None = None
) -> Any:
    """Benchmark of one cycle: per unit × domain scores, source and agreement

    Scores follow DESIGN §5: the visit team's findings where the visit is completed (source
    peer_reviewed), else the self-assessment (self_assessed); both series are given. Other
    units are pseudonymised unless the caller may see names; pseudonyms are redrawn for every
    filter set, so labels do not carry across filtered views. Groups of fewer than the
    network's minimum group size are suppressed. A caller who sees pseudonyms may filter only
    by the kinds and regions offered on the unit dashboard (every combination of views keeps
    at least min_group_size units); other values are refused with 422. A cycle that is still
    open is marked provisional.
    """
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound(_("No such cycle."))
    require(current_user, "benchmark.read", cycle.network)
    args = {"kind": kind or [], "region": region or [], "series": "bench"}
    return benchmark_payload(current_user, cycle, args)
