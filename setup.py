"""The `cavra-recovery` server distribution's package list, which pyproject.toml cannot compute.

The repository keeps its folders (`server/`, `connectors/`, docs/architecture.md); installed, they are
`cavra_recovery.server` and `cavra_recovery.connectors`, so no top-level `server` or `connectors` name
lands in site-packages. Every sub-folder ships, including the alembic migrations (no `__init__.py`),
and so does generated/openapi, as `cavra_recovery.openapi`.
"""

from setuptools import find_namespace_packages, setup

FOLDERS = {"server": "cavra_recovery.server", "connectors": "cavra_recovery.connectors"}

# The gateway serves this document at /openapi.json (server/gateway): package data, read with
# importlib.resources, in the repository (editable install) and in the wheel alike.
OPENAPI = {"generated/openapi": "cavra_recovery.openapi"}

setup(
    package_dir={name: folder for folder, name in {**FOLDERS, **OPENAPI}.items()},
    packages=[
        *(
            f"cavra_recovery.{package}"
            for package in find_namespace_packages(
                include=[pattern for folder in FOLDERS for pattern in (folder, f"{folder}.*")],
                exclude=["*.__pycache__"],
            )
        ),
        *OPENAPI.values(),
    ],
    package_data={name: ["*.json"] for name in OPENAPI.values()},
)
