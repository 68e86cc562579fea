"""Ed25519 keys for signed ledger checkpoints (C2SP signed-note key ids and signature lines).

`cavra-recovery ledger keygen --out PATH` writes PATH (PKCS#8 PEM private key, mode 0600) and
PATH.pub (`<name>+<key id hex>+<base64(0x01 || public key)>`, the C2SP signed-note verifier key).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_NAME = "cavra-recovery/ledger"
_ED25519 = b"\x01"


def key_id(name: str, public: bytes) -> bytes:
    """First four bytes of SHA-256(name || "\\n" || 0x01 || public key), as C2SP signed-note does."""
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public).digest()[:4]


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class CheckpointSigner:
    """Signs checkpoint bodies; its repr never shows the key."""

    private: Ed25519PrivateKey = field(repr=False)
    name: str = KEY_NAME

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, _raw(self.private.public_key()))

    def sign(self, body: str) -> tuple[bytes, str]:
        """The signature, and the signed note (body, blank line, signature line)."""
        signature = self.private.sign(body.encode())
        line = base64.b64encode(self.key_id + signature).decode()
        return signature, f"{body}\n\u2014 {self.name} {line}\n"


@dataclass(frozen=True)
class CheckpointVerifier:
    public: Ed25519PublicKey
    name: str = KEY_NAME

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, _raw(self.public))

    def verify_note(self, note: str) -> bool:
        """True when one signature line of `note` is ours and verifies over the body."""
        body, _, signatures = note.partition("\n\n")
        for line in signatures.splitlines():
            parts = line.split(" ")
            if len(parts) != 3 or parts[0] != "\u2014" or parts[1] != self.name:
                continue
            try:
                blob = base64.b64decode(parts[2], validate=True)
            except ValueError:
                continue
            if blob[:4] != self.key_id:
                continue
            try:
                self.public.verify(blob[4:], (body + "\n").encode())
            except InvalidSignature:
                return False
            return True
        return False


def load_signer(path: Path) -> CheckpointSigner:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return CheckpointSigner(key)


def load_verifier(path: Path) -> CheckpointVerifier:
    """A verifier key `<name>+<key id hex>+<base64(0x01 || public key)>` (C2SP signed-note vkey)."""
    name, expected_id, key_b64 = path.read_text().strip().split("+", 2)
    key = base64.b64decode(key_b64)
    if key[:1] != _ED25519:
        raise ValueError(f"{path}: not an Ed25519 verifier key")
    public = Ed25519PublicKey.from_public_bytes(key[1:])
    verifier = CheckpointVerifier(public, name)
    if verifier.key_id.hex() != expected_id:
        raise ValueError(f"{path}: key id does not match the key")
    return verifier


def generate(out: Path) -> Path:
    """Write a new private key to `out` (0600) and its verifier key to `out`.pub; return the .pub path."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    public = _raw(private.public_key())
    public_path = out.with_name(out.name + ".pub")
    encoded = base64.b64encode(_ED25519 + public).decode()
    public_path.write_text(f"{KEY_NAME}+{key_id(KEY_NAME, public).hex()}+{encoded}\n")
    return public_path
