"""The logs are declared in logging_app/logs; this name stays while ingest moves over."""

from .logs import LOGS, AccountLink, LogSpec, log_for_model

__all__ = ["LOGS", "AccountLink", "LogSpec", "log_for_model"]
