from django.apps import AppConfig


class LoggingAppConfig(AppConfig):
    name = "logging_app"
    verbose_name = "Logging"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from .access import record_lockout, start_idle_clock

        user_locked_out.connect(record_lockout, dispatch_uid="console_record_lockout")
        user_logged_in.connect(start_idle_clock, dispatch_uid="console_start_idle_clock")
