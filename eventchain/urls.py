from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from reporting import views as reporting_views

from . import review, views
from .api.root import api
from .signin import console as signin_console
from .signin import views as signin_views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", signin_views.login_view, name="login"),
    path("login/verify/", signin_views.login_verify, name="login-verify"),
    path("login/enrol/", signin_views.login_enrol, name="login-enrol"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("reauth/", signin_views.reauth, name="reauth"),
    path("sso/login/", signin_views.SSOStartView.as_view(), name="oidc_authentication_init"),
    path("sso/callback/", signin_views.SSOCallbackView.as_view(), name="oidc_authentication_callback"),
    path("account/two-factor/", signin_views.my_two_factor, name="my-two-factor"),
    path("console/admin/security/", signin_console.security, name="security"),
    path("console/admin/security/local-passwords/", signin_console.set_local_passwords, name="security-local-passwords"),
    path("console/admin/security/two-factor/<int:user_id>/reset/", signin_console.reset_two_factor,
         name="security-reset-two-factor"),
    path("console/admin/security/locks/<int:throttle_id>/unlock/", signin_console.unlock, name="security-unlock"),
    path(
        "password-reset/",
        signin_views.PasswordResetView.as_view(
            template_name="auth/password_reset.html",
            email_template_name="auth/password_reset_email.txt",
            subject_template_name="auth/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="auth/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        signin_views.PasswordResetConfirmView.as_view(template_name="auth/password_reset_confirm.html"),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="auth/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("console/", reporting_views.dashboard, name="dashboard"),
    path("console/admin/", views.admin_home, name="console-admin"),
    path("console/audit/", views.audit_log, name="audit-log"),
    path("console/outbox/", views.outbox_list, name="outbox-list"),
    path("console/outbox/<int:message_id>/requeue/", views.outbox_requeue, name="outbox-requeue"),
    path("console/api-tokens/", views.api_tokens, name="api-tokens"),
    path("console/admin/review/", review.review_queue, name="review-queue"),
    path("console/admin/review/<int:flag_id>/", review.review_flag, name="review-flag"),
    path("console/api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("console/jobs/<uuid:job_id>/progress/", views.job_progress, name="job-progress"),
    path("console/catalogue/", include("eventchain.catalogue.urls")),
    path("console/buyers/", include("buyers.urls")),
    path("console/allocation/", include("allocation.urls")),
    path("console/finance/", include("finance.urls")),
    path("console/tickets/", include("tickets.urls")),
    path("wallet/", include("tickets.wallet_urls")),
    path("console/distribution/", include("distribution.urls")),
    path("portal/", include("distribution.portal.urls")),
    path("console/reporting/", include("reporting.urls")),
    path("django-admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
