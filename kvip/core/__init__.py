"""Shared building blocks: model base, permissions, audit log, errors, Jinja filters."""
