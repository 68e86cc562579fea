"""Making a live SQLite database read-only for the server that has it open.

`chmod` is no fault here: permissions are checked when a file is opened, and the server's pooled
connections keep their read-write descriptors, so they go on writing (as root and as any other user).
The immutable attribute (`chattr +i`) is checked on every write, so it fails the writes of descriptors
already open, which is what a file system turning read-only does to a running server. Setting it
needs CAP_LINUX_IMMUTABLE: root, or passwordless sudo. The -shm file stays writable: SQLite maps it
into memory, and a write to a mapping of an immutable file kills the process with SIGBUS.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import in_ci


def _chattr_command() -> list[str] | None:
    chattr = shutil.which("chattr")
    if chattr is None:
        return None
    if os.geteuid() == 0:
        return [chattr]
    sudo = shutil.which("sudo")
    return [sudo, "-n", chattr] if sudo else None


def _chattr(command: list[str], flag: str, paths: list[Path]) -> bool:
    finished = subprocess.run(
        [*command, flag, *map(str, paths)], capture_output=True, timeout=30, check=False
    )
    return finished.returncode == 0


def _immutable_works(command: list[str], directory: Path) -> bool:
    """Whether +i on a file in `directory` fails a write through a descriptor opened before."""
    probe = directory / ".immutable-probe"
    with probe.open("w") as handle:
        if not _chattr(command, "+i", [probe]):
            return False
        try:
            handle.write("x")
            handle.flush()
        except PermissionError:
            return True
        finally:
            _chattr(command, "-i", [probe])
            probe.unlink()
    return False


def require_immutable_files(directory: Path) -> list[str]:
    """The chattr command that really makes files in `directory` read-only; else skip (fail under CI)."""
    command = _chattr_command()
    if command is None or not _immutable_works(command, directory):
        reason = (
            "no way to make an open SQLite file read-only here: chattr +i needs root "
            "(CAP_LINUX_IMMUTABLE) or passwordless sudo and a file system with the immutable flag; "
            "chmod does not stop open descriptors"
        )
        if in_ci():
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return command


@contextmanager
def read_only_database(command: list[str], database: Path) -> Iterator[None]:
    """The database file, its -wal and its directory immutable until the block ends."""
    paths = [path for path in (database, database.with_name(database.name + "-wal")) if path.exists()]
    paths.append(database.parent)
    assert _chattr(command, "+i", paths), f"chattr +i {paths} failed"
    try:
        yield
    finally:
        assert _chattr(command, "-i", paths), f"chattr -i {paths} failed: remove the flag by hand"
