"""The column chooser of the list pages: which columns a user hides, per log.

One small read per page view (`hidden_columns`); the choice is saved by a POST of the
chooser's form. The time column, the first, is always shown: it links to the record.
"""

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from .. import models
from ..logs.spec import LogSpec
from .tables import screen_columns


def hidden_columns(user: AbstractBaseUser | AnonymousUser, spec: LogSpec) -> tuple[str, ...]:
    """The columns of `spec`'s list that `user` hides; names no longer a column are
    dropped."""
    if not user.is_authenticated:
        return ()
    stored = (
        models.ListColumns.objects.filter(user=user, log=spec.slug)
        .values_list("hidden", flat=True)
        .first()
    )
    if not stored:
        return ()
    names = {name for name, _ in screen_columns(spec)[1:]}
    return tuple(name for name in stored if name in names)


class ColumnsForm(forms.Form):
    """The columns to show, among those the list can hide (all but the time)."""

    shown = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Columns shown"
    )
    reset = forms.BooleanField(required=False)

    def __init__(self, *args, spec: LogSpec, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shown"].choices = screen_columns(spec)[1:]


def list_columns_save(
    *, user: AbstractBaseUser, spec: LogSpec, shown: list[str], reset: bool = False
) -> None:
    """Keep the columns `user` hides on `spec`'s list: every one not in `shown`; `reset`
    shows them all again."""
    if reset:
        models.ListColumns.objects.filter(user=user, log=spec.slug).delete()
        return
    hidden = [name for name, _ in screen_columns(spec)[1:] if name not in shown]
    models.ListColumns.objects.update_or_create(
        user=user, log=spec.slug, defaults={"hidden": hidden}
    )
