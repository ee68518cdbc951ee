"""What every job does with its result: log it, at debug level when it changed nothing."""

import logging

logger = logging.getLogger("logging_app.jobs")


def log_result(result: object, *, changed: bool) -> None:
    # A job that found nothing to do says so only at debug level: the worker runs the
    # jobs every few seconds or minutes.
    logger.log(logging.INFO if changed else logging.DEBUG, "%s", result)
