"""The console's answer when a request fails on the server's side.

Django calls `server_error` for any exception no view handled, also one raised in a
middleware (reading the session, say). A database that does not answer is not a defect
of the request: it gets 503 with Retry-After, so that the appliance retries its batch and
a person knows to come back, rather than a bare "Server Error (500)".
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

logger = logging.getLogger("django.request")

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


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the console's own page, in its layout (the menu for a signed-in user);
    JSON on the API."""
    if request.path.startswith(_API_PREFIX):
        response = JsonResponse({"error": "Not found."}, status=404)
    else:
        response = render(request, "errors/404.html", {"path": request.path}, status=404)
    response.console_page = True
    return response


class ConsoleErrorPagesMiddleware:
    """Under DEBUG (`make run`, the demo) Django answers a missing page or a failure with its
    technical pages, which a new user takes for a broken product: the console's own pages
    answer instead, and the traceback still goes to the server's log."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        technical_404 = (
            response.status_code == 404
            and not getattr(response, "console_page", False)
            and response.get("Content-Type", "").startswith("text/html")
        )
        if settings.DEBUG and technical_404:
            return page_not_found(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG or isinstance(exception, Http404 | PermissionDenied):
            return None  # Django's handling (and, without DEBUG, handler500) as ever
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return server_error(request)
