from django.urls import path, register_converter

from . import accounts, api, calls, saved_views, statistics, views


class NameConverter:
    """A name as the appliance sends it (a username, a call id): one path segment without
    NUL, which no stored name holds and PostgreSQL cannot compare (such a URL is a 404)."""

    regex = "[^/\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NameConverter, "name")

urlpatterns = [
    path("", views.overview, name="overview"),
    path("logging/<slug:log>/", views.log_list, name="log_list"),
    path("logging/<slug:log>/<int:pk>/", views.log_detail, name="log_detail"),
    path("logging/<slug:log>/columns/", views.log_columns, name="log_columns"),
    path("logging/<slug:log>/views/", saved_views.saved_view_new, name="saved_view_new"),
    path("views/", saved_views.saved_view_list, name="saved_view_list"),
    path("views/<int:pk>/", saved_views.saved_view_open, name="saved_view_open"),
    path("views/<int:pk>/edit/", saved_views.saved_view_edit, name="saved_view_edit"),
    path("views/<int:pk>/delete/", saved_views.saved_view_remove, name="saved_view_remove"),
    path("calls/<name:call_id>/", calls.call_detail, name="call_detail"),
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/<name:username>/", accounts.account_detail, name="account_detail"),
    path("statistics/", statistics.statistics, name="statistics"),
    path("api/ingest/<slug:log>/", api.ingest_view, name="ingest"),
    path("healthz", views.healthz, name="healthz"),
    path("preferences/", views.preferences, name="preferences"),
]
