"""The logs the console keeps: one module each, holding its `SPEC` (logs/spec.py).

The console's own eight are the modules of this package, in the manual's order (the
menu's); the CONSOLE_EXTRA_LOGS setting adds others after them. `LOGS` maps their slugs to
their specs. It is read on first use: the modules import the models, and the models'
choices read `LOGS` back.
"""

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db.models import Model

from .spec import AccountLink, Column, LogSpec

__all__ = ["LOGS", "AccountLink", "Column", "LogSpec", "log_for_model"]


BUILT_IN = tuple(
    f"{__name__}.{name}"
    for name in (
        "security",
        "system",
        "web_sessions",
        "cdr",
        "sip_sessions",
        "secure_messages",
        "install_messages",
        "activation_messages",
    )
)


class _Logs(Mapping[str, LogSpec]):
    """The registered logs by slug, loaded when first read."""

    def __init__(self) -> None:
        self._specs: dict[str, LogSpec] | None = None
        self._reset_callbacks: list[Callable[[], None]] = []

    def _loaded(self) -> dict[str, LogSpec]:
        if self._specs is None:
            specs = {}
            for path in (*BUILT_IN, *settings.CONSOLE_EXTRA_LOGS):
                spec = getattr(import_module(path), "SPEC", None)
                if not isinstance(spec, LogSpec):
                    raise ImproperlyConfigured(f"The log module {path} has no SPEC (a LogSpec).")
                if spec.slug in specs:
                    raise ImproperlyConfigured(f"Two log modules name their log {spec.slug!r}.")
                specs[spec.slug] = spec
            self._specs = specs
        return self._specs

    def reset(self) -> None:
        self._specs = None
        for callback in self._reset_callbacks:
            callback()

    def on_reset(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever the logs are read again (CONSOLE_EXTRA_LOGS changed):
        what was made from the logs registered before (a cached schema) is forgotten."""
        self._reset_callbacks.append(callback)

    def __getitem__(self, slug: str) -> LogSpec:
        return self._loaded()[slug]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


LOGS = _Logs()


def log_for_model(model: type[Model]) -> LogSpec:
    return next(spec for spec in LOGS.values() if spec.model is model)


def _reload(*, setting: str, **kwargs) -> None:
    if setting == "CONSOLE_EXTRA_LOGS":
        LOGS.reset()


setting_changed.connect(_reload, dispatch_uid="console_logs_reload")
