"""The pages of saved views: save the list as it is, open, rename or share, delete.

`/views/<id>/` is the link to share: it opens the list with the view's query string and
`view=<id>`, which shows the view's columns on that page without changing the columns the
viewer's own list remembers.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import models
from .listing.saved import (
    SaveViewForm,
    ViewNameForm,
    may_change,
    saved_view_create,
    saved_view_delete,
    saved_view_update,
    view_visible,
    views_visible,
)
from .logs import LOGS
from .views import require_view_permission


def _visible(request: HttpRequest, pk: int) -> models.SavedView:
    """View `pk`, if the viewer may open it: someone else's unshared view, or one of a log
    the viewer may not see, is not found."""
    view = view_visible(request.user, pk)
    if view is None:
        raise Http404("There is no saved view with that number that you can open.")
    return view


def _changeable(request: HttpRequest, pk: int) -> models.SavedView:
    view = _visible(request, pk)
    if not may_change(request.user, view):
        raise PermissionDenied("Only its owner or an administrator changes a shared view.")
    return view


def view_url(view: models.SavedView) -> str:
    """The list the view shows: its query string, and `view=` for its columns."""
    query = f"{view.query}&view={view.pk}" if view.query else f"view={view.pk}"
    return f"{reverse('log_list', args=[view.log])}?{query}"


@require_POST
def saved_view_new(request: HttpRequest, log: str) -> HttpResponse:
    """Save the list as its page shows it under a name, then open it; a bad name shows the
    form again, saying why."""
    spec = LOGS.get(log)
    if spec is None:
        raise Http404(f"There is no log called {log!r}.")
    require_view_permission(request, spec.model)
    form = SaveViewForm(request.POST, spec=spec, owner=request.user, auto_id="save_view_%s")
    # A setting of one's own, as the column chooser: Support may save views too.
    view = saved_view_create(owner=request.user, form=form) if form.is_valid() else None
    if view is None:
        context = {"log": spec, "form": form}
        return render(request, "saved_views/new.html", context, status=400)
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(view_url(view))


@require_safe
def saved_view_open(request: HttpRequest, pk: int) -> HttpResponse:
    return redirect(view_url(_visible(request, pk)))


@require_safe
def saved_view_list(request: HttpRequest) -> HttpResponse:
    """Every view the viewer may open, grouped per log."""
    groups = {slug: (spec, []) for slug, spec in LOGS.items()}
    for view in views_visible(request.user):
        groups[view.log][1].append((view, view_url(view), may_change(request.user, view)))
    context = {"groups": [group for group in groups.values() if group[1]]}
    return render(request, "saved_views/list.html", context)


@require_http_methods(["GET", "POST"])
def saved_view_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a view, share it or stop sharing it: its owner, or an administrator."""
    view = _changeable(request, pk)
    initial = {"name": view.name, "shared": view.shared}
    data = request.POST if request.method == "POST" else None
    form = ViewNameForm(data, initial=initial, owner=view.owner, log=view.log, view=view)
    if form.is_bound and form.is_valid() and saved_view_update(view=view, form=form):
        messages.success(request, f"Saved the view “{view.name}”.")
        return redirect("saved_view_list")
    context = {"view": view, "log": LOGS[view.log], "form": form}
    return render(request, "saved_views/edit.html", context, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def saved_view_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first; the POST deletes."""
    view = _changeable(request, pk)
    if request.method == "POST":
        saved_view_delete(view=view)
        messages.success(request, f"Deleted the view “{view.name}”.")
        return redirect("saved_view_list")
    return render(request, "saved_views/delete.html", {"view": view, "log": LOGS[view.log]})
