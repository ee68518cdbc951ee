"""Who gets into the console, and the record of it.

The console writes its own sign-ins, sign-outs, failures and timeouts to the Web Sessions
log, as the appliance does for its web console, through the one ingest service.
"""

import time
from datetime import datetime, timedelta
from ipaddress import ip_address

from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from . import services, siem
from .models import (
    ANONYMOUS_PRINCIPAL,
    ConsoleUserProfile,
    SecurityEvent,
    SourceLog,
    WebSessionEventType,
)

_LAST_SEEN = "console_last_seen"
_EXPIRED_USER = "console_password_expired_user"
_LOCKED_OUT = siem.CONSOLE_SIGNATURES["login_locked_out"]
# Refresh the idle clock at most this often, so that reading pages does not write the
# session on every request.
_TOUCH_INTERVAL_SECONDS = 30


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, unless trusted proxies stand in front.

    With TRUSTED_PROXY_COUNT = n, the n proxies each appended the address they saw to
    X-Forwarded-For, so the client is the n-th address from the right. Anything further
    left was written by the client and is not trusted.
    """
    address = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ip_address(address)) if address else None
    except ValueError:
        return None


def _record(event_type: str, principal: str, request: HttpRequest) -> None:
    """Write this console's own Web Sessions event, from the request's client address."""
    services.web_session_event_record(
        event_type=event_type, principal=principal, ip_address=client_ip(request)
    )


# --- Password age -------------------------------------------------------------------------


def password_expired(user) -> bool:
    max_age = settings.PASSWORD_MAX_AGE_DAYS
    if not max_age:
        return False
    profile = ConsoleUserProfile.objects.filter(user=user).first()
    changed = (profile and profile.password_changed_at) or user.date_joined
    return timezone.now() - changed > timedelta(days=max_age)


class PasswordAgeValidator:
    """Not a rule on the password itself: Django calls `password_changed` whenever a
    user's password is saved, which is when its age starts."""

    def validate(self, password: str, user=None) -> None:
        return None

    def password_changed(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        ConsoleUserProfile.objects.update_or_create(
            user=user, defaults={"password_changed_at": timezone.now()}
        )

    def get_help_text(self) -> str:
        return ""


# --- Sign-in and sign-out ------------------------------------------------------------------


class ConsoleAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "password_expired": "Your password has expired: choose a new one.",
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if password_expired(user):
            raise ValidationError(self.error_messages["password_expired"], code="password_expired")


class ConsoleLoginView(auth_views.LoginView):
    form_class = ConsoleAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["reason"] = _sign_in_reason(self.request) if self.request.method == "GET" else ""
        return context

    def form_valid(self, form: ConsoleAuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        principal = form.get_user().get_username()
        # The pair the manual describes: an interactive sign-in, and a sign-in.
        for event_type in (WebSessionEventType.SUCCESS_INTERACTIVE, WebSessionEventType.SUCCESS):
            _record(event_type, principal, self.request)
        return response

    def form_invalid(self, form: ConsoleAuthenticationForm) -> HttpResponse:
        username = (self.request.POST.get("username") or "").strip()
        if _refused_while_locked_out(self.request):
            # No password was checked: the lockout's Security event and axes' count of
            # attempts record it, not a Web Sessions failure per refusal.
            return super().form_invalid(form)
        if username and self.request.POST.get("password"):
            if form.has_error("__all__", "password_expired"):
                _record(WebSessionEventType.FAIL_CREDENTIALS_EXPIRED, username, self.request)
                self.request.session[_EXPIRED_USER] = form.get_user().pk
                return redirect("password_expired")
            known = get_user_model()._default_manager.filter(username=username).exists()
            failure = (
                WebSessionEventType.FAIL_BAD_CREDENTIALS
                if known
                else WebSessionEventType.FAIL_USER_NOT_FOUND
            )
            _record(failure, username, self.request)
        return super().form_invalid(form)


def _sign_in_reason(request: HttpRequest) -> str:
    """Why the sign-in page is shown, when a page other than the overview sent the browser
    here (`next`): its session ended (the browser still sent the cookie of one), or it was
    never signed in.
    The idle timeout says so itself (IdleTimeoutMiddleware's message)."""
    wanted = request.GET.get(REDIRECT_FIELD_NAME, "")
    if wanted in ("", "/"):  # the console's front door, not a page of it
        return ""
    if settings.SESSION_COOKIE_NAME in request.COOKIES and request.session.is_empty():
        return "Your session has expired: sign in again to go on where you were."
    return "Sign in to see that page."


class ConsoleLogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        signed_in = request.user.is_authenticated
        if signed_in:
            _record(WebSessionEventType.LOGOUT, request.user.get_username(), request)
        response = super().post(request, *args, **kwargs)
        if signed_in:
            messages.success(request, "You have signed out.")
        return response


@login_not_required
@sensitive_post_parameters()
@csrf_protect
@never_cache
def password_expired_view(request: HttpRequest) -> HttpResponse:
    """Where a sign-in with an expired password leads: set a new one, then sign in."""
    user_id = request.session.get(_EXPIRED_USER)
    user = get_user_model()._default_manager.filter(pk=user_id).first() if user_id else None
    if user is None:
        return redirect("login")
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        del request.session[_EXPIRED_USER]
        messages.success(request, "Your password was changed. Sign in with the new one.")
        return redirect("login")
    return render(request, "registration/password_expired.html", {"form": form, "user": user})


@login_not_required
def admin_login_view(request: HttpRequest) -> HttpResponse:
    """The admin site's sign-in: the console's own page, so that every sign-in is recorded
    alike. A signed-in user who reaches it is not staff: the admin site is not theirs."""
    if request.user.is_authenticated:
        raise PermissionDenied("The admin site is for administrators only.")
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """Axes' answer to a locked-out sign-in: the sign-in page, saying why and for how long."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = ConsoleAuthenticationForm(request)
    return render(
        request,
        "registration/login.html",
        {
            "form": form,
            "locked_out": True,
            "cooloff_minutes": minutes,
            "next": request.GET.get("next", ""),
        },
        status=429,
    )


def _refused_while_locked_out(request: HttpRequest) -> bool:
    """Whether axes refused this sign-in without checking its password.

    Axes counts a refused sign-in as one more failure (see the AXES_ settings), so the
    count is over the limit only when the client was locked out before this sign-in;
    the failure that reaches the limit had its password checked.
    """
    failures = getattr(request, "axes_failures_since_start", None) or 0
    credentials = getattr(request, "axes_credentials", None)
    return failures > get_failure_limit(request, credentials)


def _lockout_recorded_since(since: datetime, *, username: str, ip_address: str | None) -> bool:
    events = SecurityEvent.objects.filter(
        signature_id=_LOCKED_OUT.signature_id,
        source_log=SourceLog.CONSOLE,
        account_name=username[:150],
        timestamp__gte=since,
    )
    # The address is only in the CEF line, where `src` is followed by another field.
    # The account and the time narrow the search first (index security_name_time).
    if ip_address is None:
        return events.exclude(details__contains=" src=").exists()
    return events.filter(details__contains=f" src={ip_address} ").exists()


def record_lockout(
    sender, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs
) -> None:
    """Axes locked `username` out from `ip_address`: that is a Security event.

    Axes sends this signal for the failure that reaches the limit, and again for every
    sign-in it refuses while the lockout lasts. The first is always recorded; the refusals
    only when the last record of this lockout is older than the cool-off, so that a client
    retrying without end adds one event per cool-off, not one per request, to the Security
    log and the SIEM outbox. Each event carries the failures counted so far; axes keeps
    the running count on its access attempts (admin site: Axes, Access attempts).
    """
    failures = getattr(request, "axes_failures_since_start", None)
    with transaction.atomic():
        # Web processes refusing the same client at the same moment take turns here, so
        # that one records and the others find its event: on PostgreSQL by locking axes'
        # rows for this client; on SQLite the IMMEDIATE transaction locks the database.
        list(
            AccessAttempt.objects.select_for_update()
            .filter(username=username, ip_address=ip_address)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        username = username or ""
        refused = _refused_while_locked_out(request)
        since = timezone.now() - settings.AXES_COOLOFF_TIME
        if refused and _lockout_recorded_since(since, username=username, ip_address=ip_address):
            return
        if refused:
            message = f"{username} still locked out from {ip_address}: {failures} failed sign-ins"
        else:
            message = f"{username} locked out from {ip_address} after {failures} failed sign-ins"
        services.console_event_record(
            action="login_locked_out",
            user=username,
            extensions={
                "src": ip_address,
                "cn1Label": "failedSignIns",
                "cn1": failures,
                "msg": message,
            },
        )


# --- Idle sessions ------------------------------------------------------------------------


def start_idle_clock(sender, request: HttpRequest, user, **kwargs) -> None:
    """Connected to user_logged_in: a new session starts its idle clock at sign-in."""
    if request is not None and hasattr(request, "session"):
        request.session[_LAST_SEEN] = time.time()


class IdleTimeoutMiddleware:
    """Signs out a session left idle longer than SESSION_IDLE_TIMEOUT seconds.

    The timeout is written to Web Sessions as SESSION_TIMEOUT by `anonymousUser`: the
    manual's principal for events the system itself triggers.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(_LAST_SEEN)
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                _record(WebSessionEventType.SESSION_TIMEOUT, ANONYMOUS_PRINCIPAL, request)
                messages.info(
                    request,
                    "Your session ended after "
                    f"{settings.SESSION_IDLE_TIMEOUT // 60} minutes without activity. "
                    "Sign in again.",
                )
                return redirect_to_login(request.get_full_path())
            if last_seen is None or now - last_seen > _TOUCH_INTERVAL_SECONDS:
                request.session[_LAST_SEEN] = now
        return self.get_response(request)
