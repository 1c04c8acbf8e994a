"""Django admin: superusers only, and never any client content."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from portal.models import DataKey, Invitation, PracticeSettings, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "display_name", "is_active", "is_superuser", "date_joined")
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ("groups",)
    readonly_fields = ("last_login", "date_joined")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "created_at", "expires_at", "accepted_at", "revoked_at")
    readonly_fields = [field.name for field in Invitation._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(PracticeSettings)
class PracticeSettingsAdmin(admin.ModelAdmin):
    list_display = ("name", "self_signup_enabled", "idle_timeout_minutes")


@admin.register(DataKey)
class DataKeyAdmin(admin.ModelAdmin):
    """Which keys exist and their state; never key material. Client profiles and other
    encrypted models are deliberately not registered: the admin would decrypt them."""

    list_display = ("id", "owner_kind", "master_key_id", "created_at", "retired_at",
                    "destroyed_at")
    list_filter = ("owner_kind", "master_key_id")
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
