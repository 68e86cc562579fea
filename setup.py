"""The `cavra-recovery` server distribution's package list, which pyproject.toml cannot compute.

The repository keeps its folders (`server/`, `connectors/`, docs/architecture.md); installed, they are
`cavra_recovery.server` and `cavra_recovery.connectors`, so no top-level `server` or `connectors` name
lands in site-packages. Every sub-folder ships, including the alembic migrations (no `__init__.py`).
"""

from setuptools import find_namespace_packages, setup

FOLDERS = {"server": "cavra_recovery.server", "connectors": "cavra_recovery.connectors"}

setup(
    package_dir={name: folder for folder, name in FOLDERS.items()},
    packages=[
        f"cavra_recovery.{package}"
        for package in find_namespace_packages(
            include=[pattern for folder in FOLDERS for pattern in (folder, f"{folder}.*")],
            exclude=["*.__pycache__"],
        )
    ],
)
