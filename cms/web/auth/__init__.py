"""Logging the author in and out.

HTTP only: the login form and the session, with authors for the lookup and the kernel's
throttle; it imports neither the public site nor the desk."""

from .views import bp, init_login, kept_fields_fit, take_kept_fields, wait_message

__all__ = ["bp", "init_login", "kept_fields_fit", "take_kept_fields", "wait_message"]
