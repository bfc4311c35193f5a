from django.contrib import admin

from .models import ApiToken, AuditEntry, Event, Job, OutboxMessage, Package, Venue


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone"]
    search_fields = ["name"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "venue", "starts_at", "status"]
    list_filter = ["status", "venue"]
    search_fields = ["code", "name"]


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "event", "inventory_kind", "seats_per_unit", "unit_price"]
    list_filter = ["event", "inventory_kind"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["when", "actor", "actor_label", "action", "object_type", "object_id", "summary"]
    list_filter = ["action"]
    search_fields = ["summary", "object_id"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "attempts", "next_attempt_at", "updated_at"]
    list_filter = ["status", "kind"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["token_hash", "prefix"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "done", "total", "created_at"]
