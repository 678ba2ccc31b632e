"""The edge tokens' signing keys (docs/operations.md, "Edge token keys").

ENTITLEMENT_SIGNING_KEYS holds the key set: its JSON, or the path of a file
holding it (a mounted secret). The key set is a JSON Web Key Set of Ed25519
private keys, each with its state:

    {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k20261204-1a2b3c",
               "x": "...", "d": "...", "state": "current",
               "created_at": 1796400000, "retired_at": null}]}

- "next": published in the JWKS, not signing yet (edges learn it before it signs);
- "current": signs every token (exactly one);
- "retired": signs nothing; published while tokens it signed may still be alive
  (retired_at + the overlap), then forgotten.

Private keys live only there, never in the database. A file is read again
when it changes (`manage.py entitlement_keys` rewrites it), so a rotation
needs no restart; a key set given as JSON in the environment needs one.
With DEBUG on and nothing configured, a development key derived from
SECRET_KEY signs (the same in every process); with DEBUG off settings refuse
to start without a key set.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

NEXT = "next"
CURRENT = "current"
RETIRED = "retired"
STATES = (NEXT, CURRENT, RETIRED)


class KeySetError(ValueError):
    """The key set is missing, unreadable or malformed (the message says which)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    state: str
    private_key: Ed25519PrivateKey
    created_at: int
    retired_at: int | None

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def public_jwk(self) -> dict[str, str]:
        raw = self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "kid": self.kid,
            "x": _b64(raw),
            "use": "sig",
            "alg": "EdDSA",
        }


@dataclass(frozen=True, slots=True)
class KeySet:
    keys: tuple[SigningKey, ...]

    @property
    def current(self) -> SigningKey:
        found = [key for key in self.keys if key.state == CURRENT]
        if len(found) != 1:
            raise KeySetError(
                f"the key set has {len(found)} current keys: exactly one must sign "
                "(manage.py entitlement_keys activate KID)"
            )
        return found[0]

    def published(self, *, now: int, overlap: int) -> tuple[SigningKey, ...]:
        """The keys a verifier may trust now: current, next, and retired within the overlap."""
        return tuple(
            key
            for key in self.keys
            if key.state != RETIRED
            or (key.retired_at is not None and now < key.retired_at + overlap)
        )


def key_new(*, now: int, state: str = NEXT) -> dict[str, Any]:
    """A new Ed25519 key as a private JWK with its state (never logged, never stored in the DB)."""
    private = Ed25519PrivateKey.generate()
    return _jwk(private, kid=_kid(now), state=state, created_at=now)


def _kid(now: int) -> str:
    day = datetime.fromtimestamp(now, tz=UTC).strftime("%Y%m%d")
    return f"k{day}-{secrets.token_hex(3)}"


def _jwk(private: Ed25519PrivateKey, *, kid: str, state: str, created_at: int) -> dict[str, Any]:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "kid": kid,
        "x": _b64(public),
        "d": _b64(raw),
        "state": state,
        "created_at": created_at,
        "retired_at": None,
    }


def development_key_set(secret_key: str) -> dict[str, Any]:
    """DEBUG only: one current key derived from SECRET_KEY, the same in every process."""
    seed = hashlib.sha256(b"entitlements.development-signing-key:" + secret_key.encode()).digest()
    private = Ed25519PrivateKey.from_private_bytes(seed)
    kid = "dev-" + hashlib.sha256(seed).hexdigest()[:8]
    return {"keys": [_jwk(private, kid=kid, state=CURRENT, created_at=0)]}


def key_set_parse(data: dict[str, Any]) -> KeySet:
    """The key set from its JSON form; KeySetError names what is wrong."""
    entries = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise KeySetError('the key set must be a JSON object with a "keys" list')
    keys: list[SigningKey] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise KeySetError("every key must be a JSON object")
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            raise KeySetError("every key needs a kid")
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            raise KeySetError(f"key {kid}: only Ed25519 keys (kty OKP, crv Ed25519) sign tokens")
        if entry.get("state") not in STATES:
            raise KeySetError(f"key {kid}: state must be one of {', '.join(STATES)}")
        try:
            private = Ed25519PrivateKey.from_private_bytes(_unb64(str(entry.get("d", ""))))
        except ValueError as exc:
            raise KeySetError(f"key {kid}: its private part (d) is not an Ed25519 key") from exc
        retired_at = entry.get("retired_at")
        if entry["state"] == RETIRED and not isinstance(retired_at, int):
            raise KeySetError(f"key {kid}: a retired key needs retired_at (seconds since epoch)")
        keys.append(
            SigningKey(
                kid=kid,
                state=entry["state"],
                private_key=private,
                created_at=int(entry.get("created_at") or 0),
                retired_at=retired_at if isinstance(retired_at, int) else None,
            )
        )
    if len({key.kid for key in keys}) != len(keys):
        raise KeySetError("two keys share a kid")
    return KeySet(tuple(keys))


def source_is_inline(source: str) -> bool:
    return source.lstrip().startswith("{")


def key_set_read(source: str) -> dict[str, Any]:
    """The JSON form of a configured key set: inline JSON, or the file at a path."""
    if not source.strip():
        raise KeySetError("ENTITLEMENT_SIGNING_KEYS is not set")
    try:
        text = source if source_is_inline(source) else Path(source).read_text()
    except OSError as exc:
        raise KeySetError(f"cannot read the key set file {source}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise KeySetError("the key set is not valid JSON") from exc
    if not isinstance(data, dict):
        raise KeySetError('the key set must be a JSON object with a "keys" list')
    return data


def key_set_write(path: Path, data: dict[str, Any]) -> None:
    """Replace the key file in one step (a reader never sees half a file), readable by its owner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- the configured key set, loaded once per process and again when its file changes


_lock = threading.Lock()
_loaded: dict[str, Any] = {}


def key_set_configured() -> KeySet:
    """The key set ENTITLEMENT_SIGNING_KEYS names (or DEBUG's development key)."""
    from django.conf import settings

    source = settings.ENTITLEMENT_SIGNING_KEYS
    if not source:
        if not settings.DEBUG:
            raise KeySetError("ENTITLEMENT_SIGNING_KEYS is not set")
        marker: Any = ("dev", settings.SECRET_KEY)
    elif source_is_inline(source):
        marker = ("inline", source)
    else:
        try:
            stat = os.stat(source)
        except OSError as exc:
            raise KeySetError(f"cannot read the key set file {source}: {exc.strerror}") from exc
        marker = ("file", source, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    loaded = _loaded.get("key_set")
    if loaded is not None and loaded[0] == marker:
        return loaded[1]
    with _lock:
        data = (
            development_key_set(settings.SECRET_KEY) if marker[0] == "dev" else key_set_read(source)
        )
        key_set = key_set_parse(data)
        _loaded["key_set"] = (marker, key_set)
    return key_set
