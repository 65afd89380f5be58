"""Authorization rules: the standards library (read: everyone signed in; manage: admins and
coordinators, the ``editions.manage`` permission)."""

from tests.authz.table import NOBODY, SIGNED_IN, Rule

MANAGERS = frozenset({"admin", "coordinator"})

RULES = {
    "standards.index": [
        Rule("/standards", allow=SIGNED_IN, note="no published edition in the world: empty page"),
        Rule("/standards?edition={edition_slug}&q=krav&type=1", allow=SIGNED_IN),
    ],
    "standards.domain": Rule("/standards/{edition_slug}/domains/{domain_code}", allow=SIGNED_IN),
    "standards.standard": Rule("/standards/{edition_slug}/{standard_code}", allow=SIGNED_IN),
    "standards.coverage": Rule("/standards/{edition_slug}/coverage", allow=SIGNED_IN),
    "standards.editions": Rule("/standards/editions", allow=SIGNED_IN),
    "standards.edition": Rule("/standards/editions/{edition_slug}", allow=SIGNED_IN),
    "standards.compare": Rule(
        "/standards/editions/compare?from={edition_slug}&to={edition_slug}",
        allow=SIGNED_IN,
        note="the same edition twice: redirected back with a message",
    ),
    "standards.mapping": [
        Rule(
            "/standards/editions/{edition_slug}/mapping?from={edition_slug}",
            allow=NOBODY,
            deny=(403, 404, 422),
            note="an edition mapped to itself is refused (422) for everyone",
        ),
        Rule(
            "/standards/editions/{edition_slug}/mapping?from=no-such-edition",
            method="POST",
            allow=NOBODY,
            note="unknown edition → 404 for everyone",
        ),
    ],
    "standards.publish": Rule(
        "/standards/editions/{edition_slug}/publish", method="POST", allow=MANAGERS
    ),
    "standards.delete": Rule(
        "/standards/editions/{edition_slug}/delete",
        method="POST",
        allow=MANAGERS,
        note="the world's edition is used by a cycle: managers get 409, nothing deleted",
    ),
    "standards.export": Rule("/standards/editions/{edition_slug}/export.xlsx", allow=MANAGERS),
    "standards.import_edition": [
        Rule("/standards/editions/import", allow=MANAGERS),
        Rule(
            "/standards/editions/import",
            method="POST",
            allow=MANAGERS,
            data={"slug": "x"},
            note="no file: the form is shown again with its errors (422)",
        ),
    ],
    "standards.import_staged": [
        Rule("/standards/editions/import/no-such-token", allow=NOBODY),
        Rule("/standards/editions/import/no-such-token", method="POST", allow=NOBODY),
    ],
    "api.standards": [
        Rule("/api/v1/standards?edition={edition_slug}", allow=SIGNED_IN),
        Rule(
            "/api/v1/standards",
            allow=NOBODY,
            deny=(404,),
            note="no published edition in the world: 404 for everyone",
        ),
    ],
    "api.editions": Rule("/api/v1/editions", allow=SIGNED_IN),
}
