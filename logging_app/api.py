"""The ingest API: the appliance pushes its events here with a bearer token.

Every answer is JSON. The records go through the same ingest service as `manage.py ingest`.
"""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import ingest
from .tokens import ingest_token_authenticate

JSON_TYPES = {"application/json"}
NDJSON_TYPES = {"application/x-ndjson", "application/ndjson", "application/jsonl"}
# Query parameters a client might put a token in: refused, since URLs end up in logs.
_TOKEN_PARAMETERS = {"token", "access_token", "api_key", "apikey", "key", "auth"}


def _error(status: int, message: str, **extra) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="ingest"'
    return response


def _bearer_token(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _chunked(request: HttpRequest) -> bool:
    """A body sent in chunks, without a Content-Length.

    Django reads a request's body up to its Content-Length only: without one, a chunked
    body would read as empty (and a gunicorn behind no proxy is the only server of ours
    that would pass one on at all).
    """
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encoding and not request.META.get("CONTENT_LENGTH")


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The body, or None when it is longer than `limit` bytes."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


@csrf_exempt  # A bearer token, not a cookie, authenticates these requests.
@login_not_required
def ingest_view(request: HttpRequest, log: str) -> JsonResponse:
    if request.method != "POST":
        response = _error(405, f"Send records with POST, not {request.method}.")
        response["Allow"] = "POST"
        return response
    if log not in ingest.INGEST_LOGS:
        return _error(404, f"Unknown log {log!r}.", logs=sorted(ingest.INGEST_LOGS))
    if _TOKEN_PARAMETERS & {name.lower() for name in request.GET}:
        return _error(
            401, "Tokens are not accepted in the query string; send Authorization: Bearer."
        )
    token = _bearer_token(request)
    if token is None:
        return _error(401, "Missing bearer token: send Authorization: Bearer <token>.")
    if ingest_token_authenticate(token=token) is None:
        return _error(401, "The bearer token is not valid or has been revoked.")

    content_type = request.content_type.lower()
    if content_type not in JSON_TYPES | NDJSON_TYPES:
        return _error(
            415,
            f"Unsupported content type {content_type or '(none)'!r}: send application/json "
            "(an array of records) or application/x-ndjson (one record per line).",
        )
    limit = settings.INGEST_MAX_BODY_BYTES
    if _chunked(request):
        return _error(
            411,
            "Send the body with a Content-Length header, not Transfer-Encoding: chunked; "
            f"at most {limit} bytes.",
        )
    body = _read_body(request, limit)
    if body is None:
        return _error(413, f"The body is larger than {limit} bytes; send smaller batches.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _error(400, "The body is not UTF-8 text.")

    if content_type in JSON_TYPES:
        try:
            records = json.loads(text)
        except (ValueError, RecursionError) as error:
            return _error(400, f"The body is {ingest.json_error(error)}.")
        if not isinstance(records, list):
            return _error(400, "The body must be a JSON array of records.")
        result = ingest.ingest_records(log=log, records=records)
    else:
        result = ingest.ingest_lines(log=log, lines=text.split("\n"))
    return JsonResponse(result.as_dict())
