"""``GET /api/v1/cycles/<id>/benchmark``: per unit × domain scores (both series), source and
self-vs-peer agreement, pseudonymised per caller exactly like the dashboards."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from kvip import scoring
from kvip.api import bp
from kvip.api.spec import (
    BOOLEAN,
    COUNT,
    ID,
    INTEGER,
    PERCENT,
    STRING,
    SUMMARY,
    SUMMARY_PROPERTIES,
    array,
    enum,
    nullable,
    obj,
    operation,
    path_id,
    query,
    schema,
)
from kvip.benchmarks import queries
from kvip.benchmarks.context import build_context
from kvip.benchmarks.frames import agreement_of, index_by, records, rows_of, sum_counts, with_scores
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


SUMMARY_KEYS = (
    "score",
    "met_pct",
    "completeness",
    "met",
    "partly_met",
    "not_met",
    "not_applicable",
    "applicable",
    "rated",
    "total",
)


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


@bp.get("/cycles/<int:cycle_id>/benchmark")
def cycle_benchmark(cycle_id: int) -> Any:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound(_("No such cycle."))
    require(current_user, "benchmark.read", cycle.network)
    args = {
        "kind": request.args.getlist("kind"),
        "region": request.args.getlist("region"),
        "series": "bench",
    }
    return jsonify(benchmark_payload(current_user, cycle, args))


# --- OpenAPI ------------------------------------------------------------------------------

assert tuple(SUMMARY_PROPERTIES) == SUMMARY_KEYS
_COMPACT = nullable(obj({k: PERCENT for k in ("score", "met_pct", "completeness")}))
_SOURCE = enum(["peer_reviewed", "self_assessed"])
_COEFFICIENT: dict[str, Any] = {"type": "number", "minimum": -1, "maximum": 1, "nullable": True}
_DOMAIN_ENTRY = obj(
    {**SUMMARY_PROPERTIES, "source": _SOURCE, "self": _COMPACT, "peer": _COMPACT},
    optional=[*SUMMARY_KEYS, "source"],
    description="The benchmark series (with its source) where the unit has one for the "
    "domain, and the self and peer series side by side.",
)
_UNIT = schema(
    "BenchmarkUnit",
    obj(
        {
            "label": {
                **STRING,
                "description": "The unit's name where the caller may see it, else its "
                "pseudonym in this cycle (e.g. 'Enhet K').",
            },
            "name": nullable(STRING),
            "own": {**BOOLEAN, "description": "The caller's own unit."},
            "unit_id": nullable({**ID, "description": "Only where the caller may see names."}),
            "assessment_id": nullable(
                {**ID, "description": "Only where the caller may read the assessment."}
            ),
            "visit_id": nullable(
                {**ID, "description": "Only where the caller may read the visit."}
            ),
            "source": _SOURCE,
            "overall": nullable(SUMMARY),
            "overall_self": _COMPACT,
            "overall_peer": _COMPACT,
            "domains": {
                "type": "object",
                "description": "Domain code → its benchmark, self and peer series.",
                "additionalProperties": _DOMAIN_ENTRY,
            },
            "agreement": nullable(
                obj(
                    {
                        "n": COUNT,
                        "percent": PERCENT,
                        "kappa": {
                            **_COEFFICIENT,
                            "description": "Linearly weighted Cohen's kappa. Not meaningful "
                            "where kappa_degenerate is true.",
                        },
                        "kappa_degenerate": {
                            **BOOLEAN,
                            "description": "True where one side gave the same rating to every "
                            "standard compared: kappa is then 0 or undefined whatever the "
                            "agreement (the kappa paradox); use ac1/ac2.",
                        },
                        "kappa_constant": {
                            **nullable(enum(["self", "peer", "both"])),
                            "description": "Which side gave one rating throughout, if any.",
                        },
                        "ac1": {**_COEFFICIENT, "description": "Gwet's AC1 (nominal)."},
                        "ac2": {
                            **_COEFFICIENT,
                            "description": "Gwet's AC2 with linear weights over "
                            "not_met < partly_met < met.",
                        },
                        "disagreement": {
                            **PERCENT,
                            "description": "Percent of compared standards where self and "
                            "peer ratings differ.",
                        },
                        "disagreement_ci95": nullable(
                            {
                                **array({"type": "number", "minimum": 0, "maximum": 100}),
                                "minItems": 2,
                                "maxItems": 2,
                                "description": "95 % Wilson interval of the disagreement "
                                "rate: [low, high] in percent.",
                            }
                        ),
                    },
                    description="Self vs peer where a visit is completed: percent exact "
                    "agreement, linearly weighted kappa, Gwet's AC1/AC2 and the disagreement "
                    "rate with its 95 % Wilson interval.",
                )
            ),
        }
    ),
)
_BENCHMARK = schema(
    "Benchmark",
    obj(
        {
            "cycle": obj(
                {
                    "id": ID,
                    "name": STRING,
                    "year": INTEGER,
                    "state": enum(["planned", "open", "closed"]),
                    "provisional": {
                        **BOOLEAN,
                        "description": "The cycle is not closed yet: every figure may change.",
                    },
                    "units_enrolled": {**COUNT, "description": "Units taking part in the cycle."},
                    "units_submitted": {
                        **COUNT,
                        "description": "Units in the benchmark (submitted, or visited).",
                    },
                    "units_peer_reviewed": {
                        **COUNT,
                        "description": "Units with a completed visit.",
                    },
                }
            ),
            "provisional_note": nullable(
                {**STRING, "description": "The provisional warning of an open cycle, else null."}
            ),
            "network": obj({"id": ID, "name": STRING}),
            "named": {**BOOLEAN, "description": "Whether the caller sees other units' names"},
            "min_group_size": {**INTEGER, "minimum": 3},
            "filters": obj({"kind": array(STRING), "region": array(STRING)}),
            "units_compared": COUNT,
            "suppressed": {
                **BOOLEAN,
                "description": "True when fewer than min_group_size units match: no units listed.",
            },
            "domains": array(obj({"code": STRING, "title": STRING})),
            "units": array(_UNIT),
        }
    ),
)
_FILTER = {"style": "form", "explode": True}
operation(
    "/cycles/{id}/benchmark",
    "get",
    summary="Benchmark of one cycle: per unit × domain scores, source and agreement",
    description=(
        "Scores follow DESIGN §5: the visit team's findings where the visit is completed "
        "(source peer_reviewed), else the self-assessment (self_assessed); both series are "
        "given. Other units are pseudonymised unless the caller may see names; pseudonyms are "
        "redrawn for every filter set, so labels do not carry across filtered views. Groups of "
        "fewer than the network's minimum group size are suppressed. A caller who sees "
        "pseudonyms may filter only by the kinds and regions offered on the unit dashboard "
        "(every combination of views keeps at least min_group_size units); other values are "
        "refused with 422. A cycle that is still open is marked provisional."
    ),
    tags=["benchmarks"],
    parameters=[
        path_id(what="The cycle"),
        query("kind", array(STRING), "Only units of these kinds", **_FILTER),
        query("region", array(STRING), "Only units of these regions", **_FILTER),
    ],
    response=_BENCHMARK,
    response_description="The benchmark",
    errors={
        403: "Not a member of the cycle's network",
        404: "No such cycle",
        422: "A filter not offered to the caller (it could single out a unit)",
    },
)
