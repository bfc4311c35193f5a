"""Sign-in pages: password step, two-factor code and enrolment steps, single sign-on, re-authentication."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.debug import sensitive_post_parameters
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .. import audit
from ..errors import RateLimited, ValidationFailed
from ..reauth import AUTH_METHOD, mark_authenticated, recent_auth_required
from . import lockout, pending, policy, sso, two_factor

BAD_CREDENTIALS = "That email and password do not match an active staff account."
BAD_CODE = "That code is not right. Enter the six-digit code your authenticator app shows now."
TIMED_OUT = "That sign-in took longer than five minutes. Start again."


def _safe_next(request, default: str | None = None) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or resolve_url(settings.LOGIN_REDIRECT_URL)


def _sso_context() -> dict:
    return {"sso_configured": sso.configured(), "sso_label": settings.EVENTCHAIN_OIDC_LABEL}


def _locked_now(email: str, ip: str) -> str:
    try:
        lockout.check(email=email, ip=ip)
    except RateLimited as exc:
        return exc.message
    return ""


def _complete(request, user, next_url: str):
    pending.clear(request)
    auth_login(request, user)
    lockout.record_success(email=user.email)
    audit.record(user, "eventchain.signin", f"{user.email} signed in with a password", target=user,
                 data={"ip": lockout.client_ip(request), "two_factor": bool(two_factor.confirmed_device(user))})
    return HttpResponseRedirect(next_url)


@sensitive_post_parameters("password")
def login_view(request):
    next_url = _safe_next(request)
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    break_glass = (request.GET.get("break-glass") or request.POST.get("break_glass")) == "1"
    context = {"next": next_url, "break_glass": break_glass, "error": "", "email": "",
               "local_passwords": policy.local_passwords_enabled(), **_sso_context()}
    status = 200
    if request.method == "POST":
        email, ip = request.POST.get("username", "").strip(), lockout.client_ip(request)
        context["email"] = email
        context["error"] = _locked_now(email, ip)
        if context["error"]:
            status = 429
        else:
            user = authenticate(request, username=email, password=request.POST.get("password", ""))
            if user is None:
                lockout.record_failure(email=email, ip=ip, stage="password")
                context["error"] = _locked_now(email, ip) or BAD_CREDENTIALS
            elif not policy.local_password_allowed(user):
                context["error"] = "Password sign-in is switched off for staff. Use single sign-on."
                status = 403
            else:
                return _after_password(request, user, next_url)
    return render(request, "auth/login.html", context, status=status)


def _after_password(request, user, next_url: str):
    if two_factor.confirmed_device(user):
        pending.start(request, user, stage=pending.VERIFY, next_url=next_url)
        return redirect("login-verify")
    if two_factor.required_for(user):
        pending.start(request, user, stage=pending.ENROL, next_url=next_url)
        return redirect("login-enrol")
    return _complete(request, user, next_url)


def _locked_out(request, user) -> str:
    """The lockout message if this address or IP is locked now; the half-finished sign-in is dropped then."""
    locked = _locked_now(user.email, lockout.client_ip(request))
    if locked:
        pending.clear(request)
    return locked


def _code_failed(request, user, stage: str) -> tuple[str, int]:
    lockout.record_failure(email=user.email, ip=lockout.client_ip(request), stage=stage)
    locked = _locked_out(request, user)
    return (locked, 429) if locked else (BAD_CODE, 200)


def login_verify(request):
    user, marker = pending.load(request, pending.VERIFY)
    if user is None:
        messages.error(request, TIMED_OUT)
        return redirect("login")
    error, status = "", 200
    if request.method == "POST":
        error = _locked_out(request, user)
        if error:
            status = 429
        elif two_factor.verify(two_factor.confirmed_device(user), request.POST.get("code", "")):
            return _complete(request, user, marker["next"])
        else:
            error, status = _code_failed(request, user, "code")
    return render(request, "auth/login_verify.html", {"error": error, "pending_email": user.email}, status=status)


def login_enrol(request):
    user, marker = pending.load(request, pending.ENROL)
    if user is None:
        messages.error(request, TIMED_OUT)
        return redirect("login")
    device = two_factor.pending_device(user)
    error, status = "", 200
    if request.method == "POST":
        error = _locked_out(request, user)
        if error:
            status = 429
        else:
            try:
                two_factor.confirm_enrolment(actor=user, device=device, code=request.POST.get("code", ""))
            except ValidationFailed:
                error, status = _code_failed(request, user, "enrolment code")
            else:
                return _complete(request, user, marker["next"])
    context = {"error": error, "pending_email": user.email, **_enrolment_context(device)}
    return render(request, "auth/login_enrol.html", context, status=status)


def _enrolment_context(device) -> dict:
    return {"qr_svg": two_factor.qr_svg(device), "secret": two_factor.secret_text(device),
            "issuer": settings.EVENTCHAIN_2FA_ISSUER}


def _uses_sso(request) -> bool:
    user = request.user
    return request.session.get(AUTH_METHOD) == "sso" or not user.has_usable_password() or (
        not policy.local_password_allowed(user))


@login_required
@sensitive_post_parameters("password")
def reauth(request):
    next_url = _safe_next(request)
    if _uses_sso(request):
        if not sso.configured():
            return render(request, "auth/reauth.html", {"next": next_url, "sso_unavailable": True}, status=409)
        request.session[sso.REAUTH_SESSION_KEY] = int(time.time())
        return redirect(f"{reverse('oidc_authentication_init')}?{urlencode({'next': next_url, 'reauth': '1'})}")
    device = two_factor.confirmed_device(request.user)
    error, status = "", 200
    if request.method == "POST":
        email, ip = request.user.email, lockout.client_ip(request)
        error = _locked_now(email, ip)
        if error:
            status = 429
        elif request.user.check_password(request.POST.get("password", "")) and (
                device is None or two_factor.verify(device, request.POST.get("code", ""))):
            mark_authenticated(request, "password")
            audit.record(request.user, "eventchain.reauthenticated", f"{email} confirmed their identity",
                         target=request.user)
            return redirect(next_url)
        else:
            lockout.record_failure(email=email, ip=ip, stage="re-authentication")
            error = _locked_now(email, ip) or (
                "That password or code is not right." if device else "That password is not right.")
    return render(request, "auth/reauth.html", {"next": next_url, "error": error, "needs_code": bool(device)},
                  status=status)


class SSOStartView(OIDCAuthenticationRequestView):
    def get(self, request):
        if not sso.configured():
            messages.error(request, "Single sign-on is not set up on this EventChain.")
            return redirect("login")
        if request.GET.get("reauth") != "1":
            request.session.pop(sso.REAUTH_SESSION_KEY, None)
        return super().get(request)

    def get_extra_params(self, request):
        params = dict(super().get_extra_params(request))
        if request.GET.get("reauth") == "1" and request.user.is_authenticated:
            # Ask the provider to take the password again rather than reuse its own session.
            params.update({"prompt": "login", "max_age": "0"})
        return params


class SSOCallbackView(OIDCAuthenticationCallbackView):
    def login_success(self):
        reauth_started = self.request.session.pop(sso.REAUTH_SESSION_KEY, None)
        current = getattr(self.request, "user", None)
        if reauth_started and current is not None and current.is_authenticated and current.pk != self.user.pk:
            messages.error(self.request, "You confirmed as a different person; sign in again.")
            return self.login_failure()
        response = super().login_success()
        mark_authenticated(self.request, "sso")
        return response


@login_required
@recent_auth_required
def my_two_factor(request):
    user = request.user
    device = two_factor.confirmed_device(user)
    error = ""
    if request.method == "POST" and request.POST.get("action") == "remove" and device:
        if two_factor.required_for(user):
            error = "Your role requires two-factor sign-in, so it cannot be switched off."
        else:
            two_factor.reset(actor=user, user_id=user.pk)
            messages.success(request, "Two-factor sign-in is off for your account.")
            return redirect("my-two-factor")
    elif request.method == "POST" and not device:
        try:
            two_factor.confirm_enrolment(actor=user, device=two_factor.pending_device(user),
                                         code=request.POST.get("code", ""))
        except ValidationFailed as exc:
            error = exc.message
        else:
            messages.success(request, "Two-factor sign-in is on. You will be asked for a code at every sign-in.")
            return redirect("my-two-factor")
    context = {"device": device, "required": two_factor.required_for(user), "error": error,
               "uses_password": user.has_usable_password()}
    if not device:
        context.update(_enrolment_context(two_factor.pending_device(user)))
    return render(request, "auth/my_two_factor.html", context)


class PasswordResetView(auth_views.PasswordResetView):
    """Refused while local passwords are off; superusers reset theirs with `manage.py changepassword`."""

    def dispatch(self, request, *args, **kwargs):
        if not policy.local_passwords_enabled():
            return render(request, "auth/password_reset_off.html", _sso_context(), status=403)
        return super().dispatch(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def dispatch(self, request, *args, **kwargs):
        if not policy.local_passwords_enabled():
            return render(request, "auth/password_reset_off.html", _sso_context(), status=403)
        return super().dispatch(request, *args, **kwargs)
