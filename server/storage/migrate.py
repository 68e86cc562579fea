"""Alembic migrations, driven programmatically so `cavra-recovery migrate` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from cavra_recovery.server.storage.database import normalize_database_url, unavailable_cause

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", normalize_database_url(database_url).replace("%", "%%"))
    return config


def ensure_sqlite_directory(database_url: str) -> None:
    url = make_url(normalize_database_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def migrate(database_url: str, revision: str = "head") -> None:
    from sqlalchemy.exc import SQLAlchemyError

    ensure_sqlite_directory(database_url)
    try:
        command.upgrade(alembic_config(database_url), revision)
    except SQLAlchemyError as error:
        cause = unavailable_cause(error)
        if cause is None:
            raise
        raise SchemaNotCurrent(f"cannot migrate the database: {cause}") from None


class SchemaNotCurrent(RuntimeError):
    """The database is unreachable or not migrated to this build's head revision."""


def check_schema_is_current(database_url: str) -> None:
    """Refuse to serve a database this build cannot use, instead of answering INTERNAL on every RPC."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from cavra_recovery.server.storage.database import create_database_engine

    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        cause = unavailable_cause(error) or type(error).__name__
        raise SchemaNotCurrent(f"cannot open the database: {cause}") from None
    finally:
        engine.dispose()
    if current != heads:
        raise SchemaNotCurrent(
            f"the database schema is at {sorted(current) or 'no revision'}, "
            f"this build needs {sorted(heads)}: "
            "run `cavra-recovery migrate` or serve with --migrate"
        )
