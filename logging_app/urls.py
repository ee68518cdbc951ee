from django.urls import path

from . import api, calls, views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("logging/<slug:log>/", views.log_list, name="log_list"),
    path("logging/<slug:log>/<int:pk>/", views.log_detail, name="log_detail"),
    path("calls/<str:call_id>/", calls.call_detail, name="call_detail"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<str:username>/", views.account_detail, name="account_detail"),
    path("api/ingest/<slug:log>/", api.ingest_view, name="ingest"),
    path("healthz", views.healthz, name="healthz"),
    path("preferences/", views.preferences, name="preferences"),
]
