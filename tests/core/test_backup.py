"""Backup and restore round trip on the test database (SQLite or PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from kvip.extensions import db
from kvip.network.models import Unit
from tests.factories import World


def test_backup_then_restore_brings_back_the_data(app: Flask, world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    target = tmp_path / "kvip.backup"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    names_before = sorted(db.session.scalars(sa.select(Unit.name)))
    db.session.execute(sa.update(Unit).values(name="Ødelagt"))
    db.session.commit()
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(sa.select(Unit.name))) == names_before


def test_restore_of_a_missing_file_is_refused(app: Flask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "nope"), "--yes"])
    assert result.exit_code != 0
