"""Logging the author in and out."""

from .views import bp, init_login

__all__ = ["bp", "init_login"]
