from django.apps import AppConfig


class LoggingAppConfig(AppConfig):
    name = "logging_app"
    verbose_name = "Logging"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the system checks)
        from .access import record_lockout, start_idle_clock
        from .roles import roles_sync_after_migrate

        user_locked_out.connect(record_lockout, dispatch_uid="console_record_lockout")
        user_logged_in.connect(start_idle_clock, dispatch_uid="console_start_idle_clock")
        # After migrate: roles_sync makes the permissions of each log's model, whichever
        # app it belongs to, before it gives them.
        post_migrate.connect(
            roles_sync_after_migrate, sender=self, dispatch_uid="console_roles_sync"
        )
