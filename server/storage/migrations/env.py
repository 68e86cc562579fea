from __future__ import annotations

from alembic import context

# Each import registers its tables on Base.metadata (escalation policies, ledger, retry runs, summaries).
import cavra_recovery.server.storage.escalation_tables
import cavra_recovery.server.storage.ledger.tables
import cavra_recovery.server.storage.retry_run_tables
import cavra_recovery.server.storage.summaries.tables  # noqa: F401
from cavra_recovery.server.storage.database import create_database_engine
from cavra_recovery.server.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_database_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations()
