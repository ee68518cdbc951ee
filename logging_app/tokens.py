"""Ingest tokens: made once, shown once, kept only as a hash."""

import hashlib
import secrets

from django.utils import timezone

from .models import IngestToken


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ingest_token_issue(*, token: IngestToken) -> str:
    """Give `token` a new secret (its hash and hint) and return the plain secret, unsaved."""
    plain = IngestToken.PREFIX + secrets.token_urlsafe(32)
    token.token_hash = _hash(plain)
    token.hint = plain[: len(IngestToken.PREFIX) + 6]
    return plain


def ingest_token_create(*, name: str) -> tuple[IngestToken, str]:
    """Make a token; the plain token is returned this once and never stored."""
    record = IngestToken(name=name)
    plain = ingest_token_issue(token=record)
    record.save()
    return record, plain


def ingest_token_revoke(*, token: IngestToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def ingest_token_authenticate(*, token: str) -> IngestToken | None:
    """The active token matching `token`, or None. Marks it as used."""
    record = IngestToken.objects.filter(token_hash=_hash(token), revoked_at=None).first()
    if record is not None:
        now = timezone.now()
        # Touch at most once a minute: ingest can be many requests a second.
        if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
            IngestToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record
