"""Raw table access for superusers. Stock changes belong in the console (services lock and audit them)."""

from django.contrib import admin

from .models import (
    AllocationNote,
    AllocationRequest,
    AllocationUpload,
    Area,
    CompGrant,
    CompRule,
    EventUnit,
    Hold,
    Manifest,
    ManifestLine,
    OverflowRule,
    Unit,
)


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "venue", "position"]
    list_filter = ["venue"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["label", "kind", "area", "capacity", "row", "number", "parent"]
    list_filter = ["kind", "area"]
    search_fields = ["label"]
    raw_id_fields = ["parent"]


@admin.register(EventUnit)
class EventUnitAdmin(admin.ModelAdmin):
    list_display = ["unit", "event", "state", "booking", "hold", "locked_at"]
    list_filter = ["event", "state"]
    search_fields = ["unit__label"]
    raw_id_fields = ["unit", "booking", "hold"]

    def has_change_permission(self, request, obj=None):
        return False  # stock moves only through the locking services


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "event", "expires_at", "released_at"]
    list_filter = ["event"]


@admin.register(CompRule)
class CompRuleAdmin(admin.ModelAdmin):
    list_display = ["event", "package", "every", "quantity", "comp_package", "active"]


@admin.register(OverflowRule)
class OverflowRuleAdmin(admin.ModelAdmin):
    list_display = ["event", "area", "fallback", "position"]


@admin.register(AllocationNote)
class AllocationNoteAdmin(admin.ModelAdmin):
    list_display = ["booking", "kind", "message", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["booking"]


@admin.register(AllocationRequest)
class AllocationRequestAdmin(admin.ModelAdmin):
    list_display = ["booking", "source", "outcome", "updated_at"]
    list_filter = ["outcome", "source"]
    raw_id_fields = ["booking"]


@admin.register(CompGrant)
class CompGrantAdmin(admin.ModelAdmin):
    list_display = ["booking", "package", "quantity", "reason", "rule", "released_at"]
    raw_id_fields = ["booking"]


class ManifestLineInline(admin.TabularInline):
    model = ManifestLine
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Manifest)
class ManifestAdmin(admin.ModelAdmin):
    list_display = ["booking", "version", "created_at", "created_by_label"]
    inlines = [ManifestLineInline]
    raw_id_fields = ["booking"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AllocationUpload)
class AllocationUploadAdmin(admin.ModelAdmin):
    list_display = ["file_name", "uploaded_by", "created_at", "processed_at"]
    exclude = ["content"]
