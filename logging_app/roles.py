"""The console's two roles, as groups holding their permissions."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

ADMINISTRATORS = "Administrators"
SUPPORT = "Support"
ROLE_GROUPS = {"admin": ADMINISTRATORS, "support": SUPPORT}

# Support reads every log and account page; tokens and console users are not theirs to see.
SUPPORT_HIDDEN_MODELS = frozenset({"ingesttoken", "consoleuserprofile"})


def roles_sync(apps=global_apps) -> None:
    """Create the Administrators and Support groups and give them their permissions.

    Support reads every registered log, wherever its model lives (a log of another app).
    Takes the app registry so that a migration can run it on its historical models; it
    runs again after every migrate (apps.py), when Django has made the permissions of
    every model, so that a log added later is readable by Support without a migration.
    """
    log_models = _log_models(apps)
    labels = {"auth", "logging_app", *(label for label, _ in log_models)}
    for label in sorted(labels):
        # Permissions are normally made after migrating; the groups need them now. A
        # migration's app configs have no models module, which create_permissions checks.
        app_config = apps.get_app_config(label)
        had_models = getattr(app_config, "models_module", None)
        app_config.models_module = had_models or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had_models
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    logging_permissions = permission_model.objects.filter(content_type__app_label="logging_app")

    administrators, _ = group_model.objects.get_or_create(name=ADMINISTRATORS)
    administrators.permissions.add(
        *logging_permissions,
        *permission_model.objects.filter(content_type__app_label="auth"),
        *permission_model.objects.filter(
            content_type__app_label__in={label for label, _ in log_models}
        ),
    )
    support, _ = group_model.objects.get_or_create(name=SUPPORT)
    views = permission_model.objects.filter(codename__startswith="view_")
    readable = views.filter(content_type__app_label="logging_app").exclude(
        content_type__model__in=SUPPORT_HIDDEN_MODELS
    )
    for label, model_name in log_models:
        readable = readable | views.filter(
            content_type__app_label=label, content_type__model=model_name
        )
    support.permissions.set(readable)


def _log_models(apps) -> set[tuple[str, str]]:
    """(app label, model name) of each registered log's model that `apps` knows."""
    from .logs import LOGS

    found = set()
    for spec in LOGS.values():
        opts = spec.model._meta
        try:
            apps.get_model(opts.app_label, opts.model_name)
        except LookupError:  # a migration's state from before the model existed
            continue
        found.add((opts.app_label, opts.model_name))
    return found


def roles_sync_after_migrate(sender, *, apps=global_apps, **kwargs) -> None:
    """post_migrate: give the roles the permissions of the models migrate has made."""
    roles_sync(apps)
