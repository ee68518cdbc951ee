"""Saved views: a list's filters, sort and columns kept under a name, shared or not.

Reads (`views_visible`, `view_visible`, `views_menu`), the forms, and the writes
(`saved_view_create`, `saved_view_update`, `saved_view_delete`). Saving a view changes no
log: like the column chooser, it is a setting of one's own, which Support may make too.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import QueryDict

from .. import models
from ..logs import LOGS
from ..logs.spec import LogSpec
from .filters import filterset_for
from .tables import screen_columns

# The list's query-string keys a view keeps besides its filters; never a position in the
# list (`before`, `after`, `page`), an export, the auto-refresh or another view.
KEPT_OPTIONS = ("sort", "per_page")
# The views the menu lists; beyond them, and on a phone beyond the first few, the page of
# saved views has them all.
MENU_VIEWS = 10
PHONE_MENU_VIEWS = 4

User = AbstractBaseUser | AnonymousUser


def _readable_logs(user: User) -> list[str]:
    """The slugs of the logs `user` may view."""
    return [
        slug
        for slug, spec in LOGS.items()
        if user.has_perm(f"{spec.model._meta.app_label}.view_{spec.model._meta.model_name}")
    ]


def may_change(user: User, view: models.SavedView) -> bool:
    """Its owner renames and deletes a view; so does an administrator (who holds the
    console's permissions), a shared one."""
    return view.owner_id == user.pk or user.has_perm("logging_app.delete_savedview")


# --- Reads --------------------------------------------------------------------------------


def views_visible(user: User) -> QuerySet:
    """The views `user` may open: their own and the shared ones, of the logs they may view;
    their own first."""
    if not user.is_authenticated:
        return models.SavedView.objects.none()
    mine = Case(When(owner=user, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        models.SavedView.objects.filter(Q(owner=user) | Q(shared=True))
        .filter(log__in=_readable_logs(user))
        .select_related("owner")
        .alias(mine=mine)
        .order_by("mine", "log", "name", "id")
    )


def view_visible(user: User, pk: int, *, log: str | None = None) -> models.SavedView | None:
    """View `pk` if `user` may open it (and it is of `log`, when given)."""
    views = views_visible(user).filter(pk=pk)
    if log is not None:
        views = views.filter(log=log)
    return views.first()


def view_hidden_columns(view: models.SavedView, spec: LogSpec) -> tuple[str, ...]:
    """The columns the view hides that are still columns of the log's list."""
    names = {name for name, _ in screen_columns(spec)[1:]}
    return tuple(name for name in view.hidden if name in names)


@dataclass
class MenuGroup:
    title: str
    views: list[tuple[models.SavedView, bool]] = field(default_factory=list)  # (view, extra)


@dataclass(frozen=True)
class ViewsMenu:
    groups: list[MenuGroup]
    more: bool  # views beyond those listed


def views_menu(user: User) -> ViewsMenu:
    """The menu's saved views, grouped per log in the menu's order: one query."""
    views = list(views_visible(user)[: MENU_VIEWS + 1])
    groups = {slug: MenuGroup(spec.title) for slug, spec in LOGS.items()}
    for index, view in enumerate(views[:MENU_VIEWS]):
        groups[view.log].views.append((view, index >= PHONE_MENU_VIEWS))
    return ViewsMenu([group for group in groups.values() if group.views], len(views) > MENU_VIEWS)


def saved_query(spec: LogSpec, query: QueryDict) -> str:
    """The part of a list's query string a view keeps: its filters, `sort` and `per_page`,
    empty values left out, as every URL the console writes."""
    names = {*filterset_for(spec).base_filters, *KEPT_OPTIONS}
    kept = QueryDict(mutable=True)
    for name in query:
        values = [value for value in query.getlist(name) if value]
        if name in names and values:
            kept.setlist(name, values)
    return kept.urlencode()


# --- Forms --------------------------------------------------------------------------------


class ViewNameForm(forms.Form):
    name = forms.CharField(max_length=models.SavedView.NAME_LENGTH, strip=True, label="Name")
    shared = forms.BooleanField(
        required=False, label="Share it with everyone who can see this log (read-only)"
    )

    def __init__(self, *args, owner: User, log: str, view: models.SavedView | None = None, **kw):
        super().__init__(*args, **kw)
        self.owner, self.log, self.view = owner, log, view

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        same = models.SavedView.objects.filter(owner=self.owner, log=self.log, name__iexact=name)
        if self.view is not None:
            same = same.exclude(pk=self.view.pk)
        if same.exists():
            raise forms.ValidationError(f"You already have a view called “{name}” on this list.")
        return name


class SaveViewForm(ViewNameForm):
    """A new view of the list as its page showed it: its query string and hidden columns."""

    query = forms.CharField(required=False, widget=forms.HiddenInput)
    hidden = forms.MultipleChoiceField(required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, spec: LogSpec, **kw) -> None:
        super().__init__(*args, log=spec.slug, **kw)
        self.spec = spec
        self.fields["hidden"].choices = screen_columns(spec)[1:]

    def clean_query(self) -> str:
        query = saved_query(self.spec, QueryDict(self.cleaned_data["query"]))
        if len(query) > models.SavedView.QUERY_LENGTH:
            raise forms.ValidationError(
                "These filters are too long to save as a view "
                f"({models.SavedView.QUERY_LENGTH:,} characters at most)."
            )
        return query


# --- Writes -------------------------------------------------------------------------------


def _unique(form: forms.Form, write: Callable[[], models.SavedView]) -> models.SavedView | None:
    """`write()`, or None and a form error when a view of the same name was made meanwhile."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        form.add_error("name", "You already have a view of that name on this list.")
        return None


def saved_view_create(*, owner: AbstractBaseUser, form: SaveViewForm) -> models.SavedView | None:
    data = form.cleaned_data
    return _unique(
        form,
        lambda: models.SavedView.objects.create(
            owner=owner,
            log=form.spec.slug,
            name=data["name"],
            query=data["query"],
            hidden=data["hidden"],
            shared=data["shared"],
        ),
    )


def saved_view_update(*, view: models.SavedView, form: ViewNameForm) -> models.SavedView | None:
    """Rename a view, share it or stop sharing it."""

    changes = {"name": form.cleaned_data["name"], "shared": form.cleaned_data["shared"]}

    def write() -> models.SavedView:
        models.SavedView.objects.filter(pk=view.pk).update(**changes)
        # Only once written: a refused name leaves the view as it was, for its page.
        for name, value in changes.items():
            setattr(view, name, value)
        return view

    return _unique(form, write)


def saved_view_delete(*, view: models.SavedView) -> None:
    view.delete()
