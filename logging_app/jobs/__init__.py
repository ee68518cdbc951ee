"""The periodic jobs. `manage.py run_worker` runs them on their schedules; each is also a
command of its own.

Every job is idempotent (running it twice does nothing more), works in bounded batches,
logs what it did, and returns a small result whose str() is a one-line summary.
docs/jobs.md describes what each does.
"""

from collections.abc import Callable

from ..partitions import KeepResult, keep_partitions
from .forwarding import (
    FORWARD_BATCH,
    FORWARD_LIMIT,
    RETRY_FIRST_SECONDS,
    RETRY_MAX_SECONDS,
    ForwardResult,
    forward_siem,
    retry_delay,
)
from .health import HealthCheckResult, check_health
from .messages import SECURE_MESSAGE_LIFETIME, ExpireResult, expire_secure_messages
from .purge import PURGE_BATCH, PurgeResult, purge_logs
from .sip import ReconcileResult, reconcile_sip_sessions

__all__ = [
    "FORWARD_BATCH",
    "FORWARD_LIMIT",
    "JOBS",
    "PURGE_BATCH",
    "RETRY_FIRST_SECONDS",
    "RETRY_MAX_SECONDS",
    "SECURE_MESSAGE_LIFETIME",
    "ExpireResult",
    "ForwardResult",
    "HealthCheckResult",
    "KeepResult",
    "PurgeResult",
    "ReconcileResult",
    "check_health",
    "expire_secure_messages",
    "forward_siem",
    "keep_partitions",
    "purge_logs",
    "reconcile_sip_sessions",
    "retry_delay",
]

# --- For the worker -----------------------------------------------------------------------

# The jobs `manage.py run_worker` runs, by the names of their commands and intervals.
JOBS: dict[str, Callable[[], object]] = {
    "keep_partitions": keep_partitions,
    "reconcile_sip": reconcile_sip_sessions,
    "expire_secure_messages": expire_secure_messages,
    "purge_logs": purge_logs,
    # Before forwarding, so that its Security events go out in the same cycle.
    "check_health": check_health,
    "forward_siem": forward_siem,
}
