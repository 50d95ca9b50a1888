"""The registry's configuration: environment variables only, each with a documented default (see README)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from issuers.tsa import DEFAULT_POLICY as DEFAULT_TSA_POLICY

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration cannot run the registry; the message says which variable to set."""


def _dev_secret(instance_path: Path, name: str) -> str:
    """Read, or create once, a random development secret in the instance folder, and say so."""
    path = instance_path / name
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        print(f" * development: generated a random secret into {path}")
    return path.read_text().strip()


def load(environ: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Build the Flask config from environment variables; raise ConfigError when a required one is missing."""
    env = environ.get("REGISTRY_ENV", "production")
    if env not in ("development", "production"):
        raise ConfigError("REGISTRY_ENV must be 'development' or 'production'")
    issuer = environ.get("REGISTRY_ISSUER", "http://127.0.0.1:5000").rstrip("/")
    config: dict[str, Any] = {
        "REGISTRY_ENV": env,
        "REGISTRY_ISSUER": issuer,
        "SQLALCHEMY_DATABASE_URI": environ.get(
            "REGISTRY_DATABASE_URL", f"sqlite:///{instance_path / 'registry.sqlite3'}"
        ),
        "REGISTRY_KEYSTORE_DIR": environ.get("REGISTRY_KEYSTORE_DIR", str(PROJECT_ROOT / "keys")),
        "REGISTRY_ACCESS_TOKEN_TTL": int(environ.get("REGISTRY_ACCESS_TOKEN_TTL", "900")),
        "REGISTRY_IDP_ISSUER": environ.get("REGISTRY_IDP_ISSUER", f"{issuer}/dev-idp"),
        "REGISTRY_IDP_AUDIENCE": environ.get("REGISTRY_IDP_AUDIENCE", "registry"),
        "REGISTRY_IDP_JWKS": environ.get("REGISTRY_IDP_JWKS", ""),
        # The wallet's sign-in (OpenID Connect, code flow with PKCE): the identity provider's endpoints and the
        # registry's client id there. Empty endpoints: in development the registry's own stand-in, elsewhere
        # no sign-in to the wallet.
        "REGISTRY_IDP_AUTHORIZE_URL": environ.get("REGISTRY_IDP_AUTHORIZE_URL", ""),
        "REGISTRY_IDP_TOKEN_URL": environ.get("REGISTRY_IDP_TOKEN_URL", ""),
        "REGISTRY_IDP_CLIENT_ID": environ.get("REGISTRY_IDP_CLIENT_ID", "registry-wallet"),
        "REGISTRY_LOG_LEVEL": environ.get("REGISTRY_LOG_LEVEL", "INFO"),
        "REGISTRY_RATELIMIT_VERIFY": environ.get("REGISTRY_RATELIMIT_VERIFY", "120/minute"),
        "REGISTRY_RATELIMIT_TOKEN": environ.get("REGISTRY_RATELIMIT_TOKEN", "10/minute"),
        "REGISTRY_RATELIMIT_LOG": environ.get("REGISTRY_RATELIMIT_LOG", "300/minute"),
        "REGISTRY_RATELIMIT_STORAGE": environ.get("REGISTRY_RATELIMIT_STORAGE", "memory://"),
        # How many reverse proxies in front of the registry set X-Forwarded-For/-Proto/-Host (0: none).
        "REGISTRY_TRUSTED_PROXIES": int(environ.get("REGISTRY_TRUSTED_PROXIES", "0")),
        "REGISTRY_RATELIMIT_PREFIX": environ.get("REGISTRY_RATELIMIT_PREFIX", "registry"),
        # An external RFC 3161 time-stamping authority for the registry's evidence; empty: its own TSA.
        "REGISTRY_TSA_URL": environ.get("REGISTRY_TSA_URL", ""),
        # The witnesses whose cosignatures of checkpoints the registry accepts: name=base64 Ed25519 key, ...
        "REGISTRY_WITNESSES": environ.get("REGISTRY_WITNESSES", ""),
        "REGISTRY_TSA_POLICY": environ.get("REGISTRY_TSA_POLICY", DEFAULT_TSA_POLICY),
        "REGISTRY_STATUS_LIST_TTL": int(environ.get("REGISTRY_STATUS_LIST_TTL", "86400")),
        "REGISTRY_STATUS_LIST_MAX_AGE": int(environ.get("REGISTRY_STATUS_LIST_MAX_AGE", "60")),
        # The time zone the pages show times in (an IANA name): the registry's city.
        "REGISTRY_TIMEZONE": environ.get("REGISTRY_TIMEZONE", "Asia/Shanghai"),
        # Seconds a signed-in page session may sit unused before it is forgotten (wallet, console, desk).
        "REGISTRY_SESSION_IDLE": int(environ.get("REGISTRY_SESSION_IDLE", "900")),
        # Where documents kept for filing are stored, named by their SHA-256 (registry.archive.store).
        "REGISTRY_DOCUMENT_STORE": environ.get("REGISTRY_DOCUMENT_STORE", str(instance_path / "documents")),
        # The largest request body, documents to stamp included (bytes); larger ones get 413.
        "MAX_CONTENT_LENGTH": int(environ.get("REGISTRY_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
    }
    for name, file in (("REGISTRY_KEYSTORE_SECRET", "keystore.secret"), ("REGISTRY_HOLDER_KEY", "holder.key")):
        value = environ.get(name)
        if not value:
            if env != "development":
                raise ConfigError(f"{name} must be set (a random value of at least 32 characters)")
            value = _dev_secret(instance_path, file)
        config[name] = value
    if not config["REGISTRY_IDP_JWKS"]:
        if env != "development":
            raise ConfigError("REGISTRY_IDP_JWKS must name the identity provider's JWKS (an https URL or a file)")
        config["REGISTRY_IDP_JWKS"] = str(instance_path / "dev-idp-jwks.json")
    return config
