"""Page views read from PostgreSQL streaming replicas (DATABASE_REPLICA_URLS), if any.

A request may read the logs and the accounts from a replica when it is a page view that
only reads (REPLICA_PAGES, by GET or HEAD). Everything else uses the primary: writes,
sign-in and sign-out, the admin site, the ingest API, sessions, users and axes' records,
the background jobs and management commands (which are no request), a request once it has
written, and a signed-in browser for PRIMARY_AFTER_WRITE_SECONDS after it posted a form,
so that it sees what it just changed. `ReplicaReadsMiddleware` marks the requests that may;
`ReplicaRouter` reads the mark.

A replica that does not answer within its connect timeout (settings: 2 s unless its URL
says otherwise) is left alone for REPLICA_COOL_OFF_SECONDS, so that requests do not wait
on it in turn; with no replica answering, the primary serves.
"""

import logging
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from . import models
from .logs import LOGS

logger = logging.getLogger(__name__)

# The page views (URL names) that may read from a replica: they only read, and a replica's
# moment of lag is harmless to them. A page that must see a write just made is not here.
REPLICA_PAGES = frozenset(
    {
        "overview",
        "log_list",
        "log_detail",
        "call_detail",
        "account_list",
        "account_detail",
        "statistics",
    }
)
# A browser reads from the primary for this long after a request of it wrote.
PRIMARY_AFTER_WRITE_SECONDS = 5
WROTE_COOKIE = "console_wrote"
# A replica that did not answer is not tried again for this long.
REPLICA_COOL_OFF_SECONDS = 30

# When each replica last failed to answer (time.monotonic()), in this process.
_failed_at: dict[str, float] = {}


@dataclass
class _Reads:
    """A request that may read from a replica: which one, once a read has asked."""

    alias: str | None = None
    chosen: bool = False
    wrote: bool = False


_reads: ContextVar[_Reads | None] = ContextVar("console_replica_reads", default=None)


def _end_of_request(**kwargs) -> None:
    # Sent once the response is closed, after a streamed export's last row: later code on
    # this thread (a test's own queries, say) reads from the primary again.
    _reads.set(None)


request_finished.connect(_end_of_request, dispatch_uid="console_replica_reads_end")


def replica_aliases() -> list[str]:
    return list(getattr(settings, "DATABASE_REPLICAS", []))


@cache
def _replicated_models() -> frozenset[type[Model]]:
    # The logs, and the accounts with their figures: what the pages read. The console's
    # own state (profiles, tokens, the SIEM outbox, the CDR policy) stays on the primary.
    logs = {spec.model for spec in LOGS.values()}
    figures = {
        models.AccountCallDay,
        models.AccountCallTotal,
        models.AccountCallWeek,
        models.LogHour,
        models.CallHour,
    }
    return frozenset(logs | figures | {models.Account, models.AccountGroup})


LOGS.on_reset(_replicated_models.cache_clear)


def _answers(alias: str) -> bool:
    """Whether the replica takes queries: its connection is checked, or made, now.

    Once a request: a persistent connection to a replica that was stopped since would
    otherwise fail the page's first query instead of being skipped.
    """
    connection = connections[alias]
    try:
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        connection.ensure_connection()
    except DatabaseError:
        connection.close()
        return False
    return True


def _answering_replica() -> str | None:
    now = time.monotonic()
    aliases = replica_aliases()
    # Requests spread over the replicas.
    for alias in random.sample(aliases, len(aliases)):
        failed_at = _failed_at.get(alias)
        if failed_at is not None and now - failed_at < REPLICA_COOL_OFF_SECONDS:
            continue
        if _answers(alias):
            _failed_at.pop(alias, None)
            return alias
        _failed_at[alias] = time.monotonic()
        logger.warning(
            "Database replica %s does not answer; not tried again for %s seconds.",
            alias,
            REPLICA_COOL_OFF_SECONDS,
        )
    return None


class ReplicaRouter:
    """Reads of the logs and accounts in a marked request go to an answering replica.

    Everything else names the primary, rather than leaving Django to use the database an
    object was read from: a row read from a replica is saved to the primary.
    """

    def db_for_read(self, model: type[Model], **hints) -> str:
        reads = _reads.get()
        if reads is None or reads.wrote or model not in _replicated_models():
            return DEFAULT_DB_ALIAS
        if not reads.chosen:
            reads.alias, reads.chosen = _answering_replica(), True
        return reads.alias or DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints) -> str:
        reads = _reads.get()
        if reads is not None:
            # What the request reads next may be what it just wrote (an export's audit
            # event, read back after it is stored).
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints) -> bool | None:
        # A row read from a replica is the primary's row.
        pool = {DEFAULT_DB_ALIAS, *replica_aliases()}
        return True if {obj1._state.db, obj2._state.db} <= pool else None

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool | None:
        # A replica replays the primary's migrations; it takes none of its own.
        return False if db in replica_aliases() else None


def _wrote_recently(request: HttpRequest) -> bool:
    try:
        wrote_at = float(request.COOKIES.get(WROTE_COOKIE, ""))
    except ValueError:
        return False
    return 0 <= time.time() - wrote_at < PRIMARY_AFTER_WRITE_SECONDS


class ReplicaReadsMiddleware:
    """Marks the requests that may read from a replica, and the browsers that just wrote."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not replica_aliases():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Until the view is known (process_view), reads go to the primary: the idle
        # timeout's record and the sign-in's look-ups run before it.
        _reads.set(None)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.method not in {"GET", "HEAD", "OPTIONS"} and user and user.is_authenticated:
            # A form was posted (sign-in, preferences, the admin site): the next pages of
            # this browser read from the primary, where the change is already.
            response.set_cookie(
                WROTE_COOKIE,
                str(time.time()),
                max_age=PRIMARY_AFTER_WRITE_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        match = request.resolver_match
        if (
            request.method in {"GET", "HEAD"}
            and match is not None
            and match.view_name in REPLICA_PAGES
            and not _wrote_recently(request)
        ):
            _reads.set(_Reads())
