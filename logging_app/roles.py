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

    Takes the app registry so that a migration can run it on its historical models.
    """
    for label in ("auth", "logging_app"):
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
    )
    support, _ = group_model.objects.get_or_create(name=SUPPORT)
    support.permissions.set(
        logging_permissions.filter(codename__startswith="view_").exclude(
            content_type__model__in=SUPPORT_HIDDEN_MODELS
        )
    )
