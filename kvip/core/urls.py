"""Addresses of the platform itself: links in e-mails and the hosts the app answers.

Every link that leaves the app (password links, invitations, reminder digests) is built by
:func:`external_url` from the configured ``KVIP_BASE_URL``, never from the request's ``Host``
or a forwarded host: a forged header cannot make a genuine KvIP e-mail point elsewhere. It
works outside a request too (the CLI's reminder run, a worker).

:func:`host_allowed` says whether a request's host is one the platform answers to: the base
URL's host, ``KVIP_TRUSTED_HOSTS``, and outside production also ``127.0.0.1`` and
``localhost`` (the development server and the test client).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.sansio.utils import host_is_trusted

DEVELOPMENT_HOSTS = ("127.0.0.1", "localhost")


def normalise_base_url(value: str) -> str:
    """``value`` as a base URL without a trailing slash; ValueError unless ``http(s)://host[/path]``."""
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("a web address such as https://kvip.example.no is needed")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("give only the scheme, host, port and (optionally) a path")
    return value


def base_url(config: Any = None) -> str:
    """The configured address of the platform, without a trailing slash."""
    config = current_app.config if config is None else config
    return str(config["KVIP_BASE_URL"]).rstrip("/")


def external_url(endpoint: str, *, _base: str | None = None, **values: Any) -> str:
    """An absolute URL of ``endpoint`` under the base URL (``_base`` overrides it, e.g. the
    reminder CLI's ``--base-url``). Needs an app context, not a request. Raises werkzeug's
    ``BuildError`` like ``url_for`` when the endpoint or its values do not fit."""
    parts = urlsplit(_base.rstrip("/") if _base else base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def _hostnames(values: Iterable[str]) -> list[str]:
    return [v.strip().lower() for v in values if v and v.strip()]


def allowed_hosts(config: Any = None) -> list[str]:
    """Host names (without port) the app answers to."""
    config = current_app.config if config is None else config
    hosts = [urlsplit(base_url(config)).hostname or ""]
    extra = config.get("KVIP_TRUSTED_HOSTS") or []
    if isinstance(extra, str):
        extra = extra.split(",")
    hosts += list(extra)
    if config.get("KVIP_ENV") != "production":
        hosts += DEVELOPMENT_HOSTS
    return _hostnames(hosts)


def host_allowed(host: str | None, config: Any = None) -> bool:
    """Whether ``host`` (``name[:port]`` as the request gives it) is one the app serves."""
    return bool(host) and host_is_trusted(str(host).lower(), allowed_hosts(config))
