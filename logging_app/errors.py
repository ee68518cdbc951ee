"""The console's answer when a request fails on the server's side.

Django calls `server_error` for any exception no view handled, also one raised in a
middleware (reading the session, say). A database that does not answer is not a defect
of the request: it gets 503 with Retry-After, so that the appliance retries its batch and
a person knows to come back, rather than a bare "Server Error (500)".
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

# Seconds a client should wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 30
_API_PREFIX = "/api/"


def _database_unavailable(error: BaseException | None) -> bool:
    # OperationalError covers a refused connection, a server that went away mid-query and
    # one shutting down; InterfaceError a connection that was closed under us.
    return isinstance(error, OperationalError | InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 while the database is unavailable, else 500; JSON on the API.

    Rendered without a request context: its processors read the user and the session,
    which may be what failed.
    """
    unavailable = _database_unavailable(sys.exception())
    status = 503 if unavailable else 500
    if unavailable:
        message = "The console's database is not answering; try again shortly."
    else:
        message = "The console failed to answer this request; it has been logged."
    if request.path.startswith(_API_PREFIX):
        response = JsonResponse({"error": message}, status=status)
    else:
        template = loader.get_template(f"errors/{status}.html")
        response = HttpResponse(template.render({"message": message}), status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
