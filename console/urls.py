from django.contrib import admin
from django.urls import include, path

from logging_app import access

admin.site.site_header = "Logging Console administration"
admin.site.site_title = "Logging Console"
admin.site.index_title = "Administration"

urlpatterns = [
    path("login/", access.ConsoleLoginView.as_view(), name="login"),
    path("logout/", access.ConsoleLogoutView.as_view(), name="logout"),
    path("password/expired/", access.password_expired_view, name="password_expired"),
    # One sign-in page for the whole console, so that every sign-in is recorded alike.
    path("admin/login/", access.admin_login_view, name="admin_login"),
    path("admin/", admin.site.urls),
    path("", include("logging_app.urls")),
]

# Whatever fails on the server's side: 503 while the database is away, else 500.
handler500 = "logging_app.errors.server_error"
handler404 = "logging_app.errors.page_not_found"
