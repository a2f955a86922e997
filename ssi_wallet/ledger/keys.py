"""Ed25519 keys, Indy DIDs and verkeys.

An Indy DID is the base58 of the first 16 bytes of its ed25519 verkey; the NYM may
carry the verkey abbreviated as ``~`` + base58 of the remaining 16 bytes. Node keys
double as CURVE keys for ZeroMQ after conversion to x25519.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import base58
from nacl.signing import SigningKey


@dataclass(frozen=True)
class KeyPair:
    """A signing key with its Indy names (DID, full and abbreviated verkey)."""

    signing_key: SigningKey

    @classmethod
    def from_seed(cls, seed: bytes | str) -> KeyPair:
        """Build from a 32-byte seed (str seeds are taken as UTF-8, as Indy tools do)."""
        raw = seed.encode() if isinstance(seed, str) else seed
        if len(raw) != 32:
            raise ValueError("seed must be 32 bytes")
        return cls(SigningKey(raw))

    @classmethod
    def generate(cls) -> KeyPair:
        """A fresh random key pair."""
        return cls(SigningKey(os.urandom(32)))

    @property
    def verkey_bytes(self) -> bytes:
        return bytes(self.signing_key.verify_key)

    @property
    def verkey(self) -> str:
        """Full base58 verkey."""
        return base58.b58encode(self.verkey_bytes).decode()

    @property
    def did(self) -> str:
        return did_from_verkey(self.verkey_bytes)

    @property
    def abbreviated_verkey(self) -> str:
        return "~" + base58.b58encode(self.verkey_bytes[16:]).decode()

    def sign(self, message: bytes) -> bytes:
        """Detached ed25519 signature."""
        return self.signing_key.sign(message).signature

    def curve_secret(self) -> bytes:
        """x25519 secret key for the CURVE server side."""
        return bytes(self.signing_key.to_curve25519_private_key())

    def curve_public(self) -> bytes:
        return bytes(self.signing_key.verify_key.to_curve25519_public_key())


def did_from_verkey(verkey: bytes) -> str:
    """Indy DID for a raw 32-byte verkey."""
    return base58.b58encode(verkey[:16]).decode()


def expand_verkey(did: str, verkey: str) -> bytes:
    """Full raw verkey from a NYM verkey, abbreviated (``~x``) or not.

    Raises ValueError on anything that does not decode to 32 bytes.
    """
    if verkey.startswith("~"):
        raw = base58.b58decode(did) + base58.b58decode(verkey[1:])
    else:
        raw = base58.b58decode(verkey)
    if len(raw) != 32:
        raise ValueError(f"verkey for {did} is not 32 bytes")
    return raw


def curve_public_from_verkey(verkey_b58: str) -> bytes:
    """x25519 public key a client derives from a node's genesis ``dest``."""
    from nacl.signing import VerifyKey

    return bytes(VerifyKey(base58.b58decode(verkey_b58)).to_curve25519_public_key())


def is_valid_did(value: object) -> bool:
    """True for a base58 string decoding to 16 (or 32) bytes, as Indy accepts."""
    if not isinstance(value, str) or not value:
        return False
    try:
        return len(base58.b58decode(value)) in (16, 32)
    except ValueError:
        return False
