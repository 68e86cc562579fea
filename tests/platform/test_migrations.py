"""Alembic: one head, upgrade on SQLite and PostgreSQL, and migrations that match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from cavra_recovery.server.storage.database import normalize_database_url
from cavra_recovery.server.storage.migrate import alembic_config, migrate
from cavra_recovery.server.storage.models import Base


def test_there_is_exactly_one_migration_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()) == 1


def test_upgrade_to_head_creates_every_table_and_matches_the_models(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)  # a second run is a no-op
    engine = create_engine(normalize_database_url(database_url))
    try:
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"},
            )
            head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
            assert context.get_current_revision() == head
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
