"""KvIP: a platform for peer-review quality networks in mental health care."""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from kvip.config import MODULES, ROOT, load_config

__all__ = ["MODULES", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: config → extensions → blueprints → CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)

    # The factory imports the layers in the function, not at the top: every `import kvip.x`
    # runs this file first, so a top-level import of a module here would be a cycle through
    # this package (kvip → kvip.accounts → kvip) and would load the whole app for any import.
    from kvip.accounts import services as accounts
    from kvip.core import setup

    proxies = int(app.config.get("KVIP_TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind nginx: the client's address and scheme come from the proxy's headers; without
        # this, every user would share the proxy's address in the sign-in throttle.

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    # Ids in URLs fit a database INTEGER: a larger number is "not found", never an overflow in the database.
    app.url_map.converters["int"] = setup.IdConverter
    setup.init_extensions(app, auth=accounts)
    # Every module's views first, then the blueprints: a later module may add routes to an
    # earlier one's blueprint (kvip.network.user_admin on accounts'), which Flask allows only
    # before the blueprint is registered.
    views = [importlib.import_module(f"kvip.{name}.views") for name in MODULES]
    for name, module in zip(MODULES, views, strict=True):
        app.register_blueprint(module.bp)
        try:
            importlib.import_module(f"kvip.{name}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"kvip.{name}.api":
                raise
    from kvip import api  # in the function: see the note above

    api.init_app(app)
    from kvip import jobs  # in the function: see the note above

    jobs.init_app(app)
    setup.init_request_hooks(app, auth=accounts)

    from kvip.cli import register_cli  # in the function: see the note above

    register_cli(app)
    return app
