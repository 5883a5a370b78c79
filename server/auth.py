"""Token verification: who is connecting, as the trusted portal says.

Tokens are JWTs. HS256 uses the shared secret; RS256 and EdDSA use the
portal's public keys (a PEM file, or a JWKS file or URL). Only the
algorithms that have a key configured are accepted, so ``alg: none`` and
an HS256 token signed with the RSA public key as its secret are refused
with ``auth.bad_algorithm``. Every refusal is an ``Unauthenticated`` with
its own code.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import TypeAdapter, ValidationError

from rooms.errors import Unauthenticated
from rooms.models import Email, User
from server.settings import Settings

log = logging.getLogger(__name__)

SECRET_FILE = "jwt-secret"
SECRET_BYTES = 48  # 384 bits, above HS256's 256-bit hash so brute force is moot
MAX_TOKEN_CHARS = 8_192  # real tokens are well under 2 KB; bounds parsing work
JWKS_CACHE_SECS = 300  # a portal rotating keys is seen within five minutes

_ASYMMETRIC = ("RS256", "EdDSA")


def ensure_secret(settings: Settings) -> str | None:
    """The HS256 secret: configured, or kept in (and on first start written to) the data folder.

    When the portal's public keys are configured and no secret is given,
    HS256 is off and None is returned.
    """
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.uses_public_keys:
        return None
    path = settings.data_dir / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    log.info("generated a new HS256 signing secret in %s", path)
    return secret


def _load_pem_keys(path: Path) -> list[Any]:
    text = path.read_text()
    blocks = [b + "-----END PUBLIC KEY-----" for b in text.split("-----END PUBLIC KEY-----") if "BEGIN" in b]
    keys = [load_pem_public_key(b.strip().encode()) for b in blocks]
    if not keys:
        raise ValueError(f"{path}: no PEM public key found")
    return keys


def _alg_of(key: Any) -> str | None:
    if isinstance(key, RSAPublicKey):
        return "RS256"
    if isinstance(key, Ed25519PublicKey):
        return "EdDSA"
    return None


@dataclass(frozen=True)
class Grant:
    """What a verified token says: who, until when (``exp``), since when (``iat``), and its ``jti``."""

    user: User
    exp: float
    iat: float | None
    jti: str | None


_NUMERIC_DATES = ("exp", "nbf", "iat")


def _numeric_dates(claims: dict[str, Any]) -> None:
    """RFC 7519 NumericDate: a JSON number, never a string (PyJWT converts ``"123"`` silently)."""
    for name in _NUMERIC_DATES:
        value = claims.get(name)
        if name in claims and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise Unauthenticated("auth.bad_claims", detail=f"{name}: must be a number (NumericDate)")


class TokenVerifier:
    """Verifies tokens against the configured keys, issuer and audience."""

    def __init__(self, settings: Settings, secret: str | None) -> None:
        self._secret = secret
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = timedelta(seconds=settings.jwt_leeway_secs)
        self.leeway_secs = settings.jwt_leeway_secs
        self.max_lifetime_secs = settings.jwt_max_lifetime_secs
        self._pem_keys: list[Any] = []
        self._jwks_set: jwt.PyJWKSet | None = None
        self._jwks_client: jwt.PyJWKClient | None = None
        if settings.jwt_public_key_file is not None:
            self._pem_keys = _load_pem_keys(settings.jwt_public_key_file)
        if settings.jwt_jwks is not None:
            if settings.jwt_jwks.startswith(("http://", "https://")):
                self._jwks_client = jwt.PyJWKClient(settings.jwt_jwks, lifespan=JWKS_CACHE_SECS)
            else:
                self._jwks_set = jwt.PyJWKSet.from_json(Path(settings.jwt_jwks).read_text())
        self.algorithms = tuple(
            (["HS256"] if secret else [])
            + ([a for a in _ASYMMETRIC if self._pem_keys or self._jwks_set or self._jwks_client]))

    async def verify(self, token: object) -> User:
        """The user a token speaks for, or ``Unauthenticated`` with the reason's code."""
        return (await self.verify_grant(token)).user

    async def verify_grant(self, token: object) -> Grant:
        """The token's :class:`Grant`, or ``Unauthenticated`` with the reason's code."""
        if token is None or token == "":
            raise Unauthenticated("auth.missing")
        # A compact JWT is base64url and dots: ASCII only (a lone surrogate would crash PyJWT's encode).
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise Unauthenticated("auth.malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("auth.malformed") from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise Unauthenticated("auth.bad_algorithm")
        keys = await self._keys_for(alg, header.get("kid"))
        claims: dict[str, Any] | None = None
        last: jwt.PyJWTError | None = None
        for key in keys:
            try:
                claims = jwt.decode(
                    token, key, algorithms=[alg], issuer=self._issuer, audience=self._audience,
                    leeway=self._leeway, options={"require": ["exp", "sub", "iss", "aud"]})
                break
            except jwt.InvalidSignatureError as exc:
                last = exc  # another configured key may match
            except jwt.PyJWTError as exc:
                raise Unauthenticated(_code_of(exc), detail=str(exc)) from None
        if claims is None:
            raise Unauthenticated(_code_of(last) if last else "auth.bad_signature")
        _numeric_dates(claims)
        exp, iat = float(claims["exp"]), claims.get("iat")
        self._check_lifetime(exp, None if iat is None else float(iat))
        jti = claims.get("jti")
        return Grant(_user_from(claims), exp, None if iat is None else float(iat),
                     jti if isinstance(jti, str) else None)

    def _check_lifetime(self, exp: float, iat: float | None) -> None:
        """A token lasts at most ``jwt_max_lifetime_secs``: from its ``iat``, and from now."""
        import time

        longest = self.max_lifetime_secs + self.leeway_secs
        if exp - time.time() > longest or (iat is not None and exp - iat > self.max_lifetime_secs):
            raise Unauthenticated("auth.bad_claims",
                                  detail=f"exp: the token lasts longer than {self.max_lifetime_secs} s")

    async def _keys_for(self, alg: str, kid: object) -> list[Any]:
        if alg == "HS256":
            return [self._secret]
        keys = [k for k in self._pem_keys if _alg_of(k) == alg]
        if self._jwks_set is not None:
            keys += [k.key for k in self._jwks_set.keys
                     if (kid is None or k.key_id == kid) and k.algorithm_name in (alg, None)]
        if self._jwks_client is not None and isinstance(kid, str):
            try:
                signing = await asyncio.to_thread(self._jwks_client.get_signing_key, kid)
                keys.append(signing.key)
            except (jwt.PyJWTError, ValueError, OSError) as exc:  # unreachable, not a key set ({} or garbage), no such kid
                log.warning("JWKS lookup for kid %r failed: %s", str(kid)[:64], exc)
                if not isinstance(exc, jwt.PyJWKClientError) or "Unable to find" not in str(exc):
                    raise Unauthenticated("auth.keys_unavailable") from None
        if not keys:
            raise Unauthenticated("auth.bad_signature")
        return keys


def _code_of(exc: jwt.PyJWTError) -> str:
    for kind, code in (
        (jwt.ExpiredSignatureError, "auth.expired"),
        (jwt.ImmatureSignatureError, "auth.not_yet_valid"),
        (jwt.InvalidIssuerError, "auth.bad_issuer"),
        (jwt.InvalidAudienceError, "auth.bad_audience"),
        (jwt.InvalidSignatureError, "auth.bad_signature"),
        (jwt.InvalidAlgorithmError, "auth.bad_algorithm"),
        (jwt.InvalidKeyError, "auth.bad_algorithm"),
        (jwt.MissingRequiredClaimError, "auth.bad_claims"),
        (jwt.InvalidIssuedAtError, "auth.bad_claims"),
        (jwt.exceptions.InvalidSubjectError, "auth.bad_claims"),  # sub not a string
        (jwt.exceptions.InvalidJTIError, "auth.bad_claims"),  # jti not a string
    ):
        if isinstance(exc, kind):
            return code
    return "auth.malformed"


_EMAIL: TypeAdapter[str] = TypeAdapter(Email)


def _email_of(claims: dict[str, Any]) -> str | None:
    """The ``email`` claim when it is an address; a malformed one is left out (it only serves notices)."""
    raw = claims.get("email")
    if raw is None or raw == "":
        return None
    try:
        return _EMAIL.validate_python(raw)
    except ValidationError:
        log.warning("token for %r: email claim ignored (not an address)", str(claims.get("sub"))[:64])
        return None


def _user_from(claims: dict[str, Any]) -> User:
    lang = claims.get("lang") or None  # none: the request's Accept-Language decides (server/i18n.py)
    country = claims.get("country")
    try:
        return User(
            id=claims["sub"], name=claims.get("name") or claims["sub"], role=claims.get("role"),
            school=claims.get("school") or "",
            country=country.upper() if isinstance(country, str) else country,
            lang=lang[:2].lower() if isinstance(lang, str) else lang,
            email=_email_of(claims),
        )
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise Unauthenticated("auth.bad_claims", detail=detail) from None


def mint(secret: str, settings: Settings, *, user_id: str, name: str, role: str, school: str = "",
         country: str | None = None, lang: str = "en", ttl: timedelta = timedelta(hours=1),
         email: str | None = None) -> str:
    """An HS256 token, as a portal would sign it (development and the demo)."""
    import time

    now = int(time.time())
    claims: dict[str, Any] = {"sub": user_id, "name": name, "role": role, "lang": lang,
                              "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
                              "iat": now, "exp": now + int(ttl.total_seconds())}
    if school:
        claims["school"] = school
    if country:
        claims["country"] = country
    if email:
        claims["email"] = email
    return jwt.encode(claims, secret, algorithm="HS256")


__all__ = ["Grant", "TokenVerifier", "ensure_secret", "mint"]
