"""Plumbing: database, clock, settings, i18n, security, errors, throttle, text and HTTP helpers; imports no feature."""
