"""Settings of the evidence ledger (docs/ledger.md): on or off, checkpoint period, signing key file."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cavra_recovery.server.setting_values import SettingsError, parse_positive_int

DEFAULT_CHECKPOINT_SECONDS = 60


@dataclass(frozen=True, slots=True)
class LedgerSettings:
    # False: no entries are written (the bench baseline); checkpoints still run over what exists.
    enabled: bool = True
    checkpoint_seconds: int = DEFAULT_CHECKPOINT_SECONDS
    # None: checkpoints are chained but unsigned.
    signing_key: Path | None = None


def add_ledger_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    parser.add_argument(
        "--ledger",
        choices=("on", "off"),
        default=environ.get("CAVRA_LEDGER", "on"),
        help="write the evidence ledger with every record (CAVRA_LEDGER; default %(default)s)",
    )
    parser.add_argument(
        "--ledger-checkpoint-seconds",
        default=environ.get("CAVRA_LEDGER_CHECKPOINT_SECONDS", str(DEFAULT_CHECKPOINT_SECONDS)),
        metavar="SECONDS",
        help="seconds between ledger checkpoints, one per window across replicas "
        "(CAVRA_LEDGER_CHECKPOINT_SECONDS; default %(default)s)",
    )
    parser.add_argument(
        "--ledger-signing-key",
        default=environ.get("CAVRA_LEDGER_SIGNING_KEY") or None,
        metavar="PATH",
        help="Ed25519 private key (from `ledger keygen`) that signs checkpoints (CAVRA_LEDGER_SIGNING_KEY)",
    )


def ledger_settings_from_arguments(arguments: argparse.Namespace) -> LedgerSettings:
    key = getattr(arguments, "ledger_signing_key", None)
    if key is not None and not Path(key).is_file():
        raise SettingsError(f"--ledger-signing-key: {key} is not a readable file")
    return LedgerSettings(
        enabled=getattr(arguments, "ledger", "on") != "off",
        checkpoint_seconds=parse_positive_int(
            "--ledger-checkpoint-seconds (CAVRA_LEDGER_CHECKPOINT_SECONDS)",
            str(getattr(arguments, "ledger_checkpoint_seconds", DEFAULT_CHECKPOINT_SECONDS)),
            maximum=86400,
        ),
        signing_key=None if key is None else Path(key),
    )
