"""KvIP: a platform for peer-review quality networks in mental health care."""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask

from kvip.config import ROOT, load_config

# Domain modules, in dependency order. Each has views.py (a blueprint ``bp``); api.py adds
# routes to the shared /api/v1 blueprint; cli.py adds command groups.
MODULES = (
    "core",
    "accounts",
    "network",
    "standards",
    "cycles",
    "visits",
    "surveys",
    "actions",
    "benchmarks",
    "home",
)


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

    from kvip.core import setup

    proxies = int(app.config.get("KVIP_TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind nginx: the client's address and scheme come from the proxy's headers; without
        # this, every user would share the proxy's address in the sign-in throttle.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    # Ids in URLs fit a database INTEGER: a larger number is "not found", never an overflow in the database.
    app.url_map.converters["int"] = setup.IdConverter
    setup.init_extensions(app)
    for name in MODULES:
        views = importlib.import_module(f"kvip.{name}.views")
        app.register_blueprint(views.bp)
        try:
            importlib.import_module(f"kvip.{name}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"kvip.{name}.api":
                raise
    from kvip.api import bp as api_bp

    app.register_blueprint(api_bp)
    from kvip import jobs

    jobs.init_app(app)
    setup.init_request_hooks(app)

    from kvip.cli import register_cli

    register_cli(app)
    return app
