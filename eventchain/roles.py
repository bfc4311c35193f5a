"""Staff roles (Django groups) and the capabilities each one holds.

Capabilities are permissions on `eventchain.RoleCapability`. The `admin` role holds every one.
Views, API endpoints and services ask for a capability, never for a role name, so moving a duty
between roles is a change to this table alone.
"""

from functools import wraps

from django.http import HttpResponseForbidden
from django.template.loader import render_to_string

from .errors import PermissionRefused

CAPABILITIES: dict[str, str] = {
    "view_console": "Use the staff console",
    "manage_catalogue": "Create and edit venues, events and packages",
    "view_buyers": "See buyers and bookings",
    "manage_buyers": "Create and edit buyers, contacts, billing entities and bookings",
    "assign_agents": "Assign sales agents to buyers",
    "view_handoffs": "See CRM handoff deliveries",
    "replay_handoffs": "Replay failed CRM handoff deliveries",
    "allocate_stock": "Reserve, allocate and confirm stock",
    "manage_stock": "Edit venue layouts, holds and allocation rules",
    "manage_invoices": "Raise, credit and sync invoices",
    "record_payments": "Record and reconcile payments",
    "manage_ledger": "Connect and configure the accounting ledger",
    "issue_tickets": "Issue tickets and edit guest lists",
    "reissue_tickets": "Reissue and revoke tickets",
    "manage_ticket_design": "Edit ticket templates and branding",
    "distribute_tickets": "Send tickets to buyers and guests",
    "manage_gate": "Run check-in and manage scanner devices",
    "view_reports": "See event and booking reports",
    "export_reports": "Export reports",
    "view_audit": "Browse the audit log",
    "manage_outbox": "See and re-queue failed outbound messages",
    "manage_api_tokens": "Create and revoke API tokens",
    "manage_security": "Configure staff sign-in: single sign-on, local passwords and two-factor",
    "manage_privacy": "Find, export and erase a person's data; run the retention schedule",
    "review_flags": "Review and release activity that velocity rules held",
}

ROLES: dict[str, tuple[str, set[str]]] = {
    "admin": ("Administrator: every capability", set(CAPABILITIES)),
    "sales": (
        "Sales agent: buyers, bookings and handoffs",
        {"view_console", "view_buyers", "manage_buyers", "assign_agents", "view_handoffs", "replay_handoffs",
         "view_reports"},
    ),
    "fulfilment": (
        "Fulfilment: stock allocation and guest logistics",
        {"view_console", "view_buyers", "allocate_stock", "manage_stock", "distribute_tickets", "view_reports"},
    ),
    "finance": (
        "Finance: invoices, ledger and payments",
        {"view_console", "view_buyers", "manage_invoices", "record_payments", "manage_ledger", "view_reports"},
    ),
    "ticketing": (
        "Ticketing: issuance, reissue, distribution and the gate",
        {
            "view_console", "view_buyers", "issue_tickets", "reissue_tickets", "manage_ticket_design",
            "distribute_tickets", "manage_gate", "view_reports",
        },
    ),
    "reporting": (
        "Reporting: read-only reports and exports",
        {"view_console", "view_buyers", "view_reports", "export_reports", "view_audit"},
    ),
}

ROLE_NAMES = tuple(ROLES)


def permission_name(capability: str) -> str:
    return f"eventchain.{capability}"


def roles_holding(capability: str) -> list[str]:
    return [role for role, (_, caps) in ROLES.items() if capability in caps]


def refusal_message(capability: str) -> str:
    holders = ", ".join(roles_holding(capability))
    what = CAPABILITIES.get(capability, capability).lower()
    return f"Your role does not allow this ({what}). Ask an administrator for one of these roles: {holders}."


def has_capability(user, capability: str) -> bool:
    if capability not in CAPABILITIES:
        raise ValueError(f"Unknown capability '{capability}'")
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(permission_name(capability)))


def require_capability(user, capability: str) -> None:
    """Raise PermissionRefused unless `user` holds `capability`. Services call this too."""
    if not has_capability(user, capability):
        raise PermissionRefused(refusal_message(capability))


def authorize(actor, capability: str) -> None:
    """Services call this first: a staff user must hold `capability`, whatever page or token they came through.

    `actor` is a staff user (any User instance, also AnonymousUser) → PermissionRefused unless the user
    holds the capability. Anything else is a system channel that authenticated and scoped itself before
    reaching the service, and is allowed: None/"system" (tasks, beat, migrations), "crm-webhook" (HMAC
    signature), "ledger-sync" (vendor webhooks and polling), "contact:<email>" (buyer portal sign-in link,
    limited by `portal_scope` to the contact's buyer), "claim:…" (a guest's signed claim link), "scanner:…" or
    a gate device (device token, limited to its event), "command:…"/"demo"/"bench" (shell access).
    Costs no query once the user's permissions are cached on the instance (Django's ModelBackend).
    """
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    if capability not in CAPABILITIES:
        raise ValueError(f"Unknown capability '{capability}'")
    if isinstance(actor, AbstractBaseUser | AnonymousUser):
        require_capability(actor, capability)


def capability_required(capability: str):
    """View decorator: anonymous users go to the login page, users without the capability get 403."""
    from django.contrib.auth.views import redirect_to_login

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_capability(request.user, capability):
                html = render_to_string(
                    "403.html", {"message": refusal_message(capability)}, request=request
                )
                return HttpResponseForbidden(html)
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability
        return wrapped

    return decorator


def sync_roles(group_model, permission_model, content_type_model) -> None:
    """Create or update the six role groups and their permissions. Idempotent; models may be historical."""
    content_type, _ = content_type_model.objects.get_or_create(app_label="eventchain", model="rolecapability")
    permissions = {}
    for codename, name in CAPABILITIES.items():
        permission, _ = permission_model.objects.update_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        permissions[codename] = permission
    for role, (_, capabilities) in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.set([permissions[c] for c in sorted(capabilities)])


def user_roles(user) -> list[str]:
    return sorted(group.name for group in user.groups.all() if group.name in ROLES)
