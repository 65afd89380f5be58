"""Forms of the jobs module.

"Prepare file" (``jobs.start``) has none: its body is only the CSRF token, and the export's
arguments are the original download's, in the query string of the form's action.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField
from wtforms.validators import AnyOf, Optional

from kvip.core.forms import KvipForm


class RetryMailForm(KvipForm):
    """ "Try again" on a failed e-mail; ``next`` names the page to return to (the outbox, or
    the admin's failed jobs when absent). It is a name, never a URL, so no redirect elsewhere."""

    next = HiddenField(validators=[Optional(), AnyOf(["outbox"], message=_l("Unknown page."))])
