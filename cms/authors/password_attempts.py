"""Password guesses, slowed down for one account from one network after wrong passwords and
capped per network. The login form and the account page's password change share the count, so
a stolen session cannot guess her password any faster than the login form allows."""

from __future__ import annotations

from flask import current_app

from ..kernel import throttle
from ..models import USERNAME_MAX
from .names import username_key

# Wrong passwords are remembered for a day (the throttle keeps events that long), so waiting
# out the longest delay does not start the count again.
FAILURES_KEPT_SECONDS = 24 * 3600


def _account_key(username: str, network: str) -> str:
    return f"login-account:{username_key(username)[:USERNAME_MAX]}:{network}"


def _network_key(network: str) -> str:
    return f"login-client:{network}"


def _gap(failures: int) -> float:
    """How long the next attempt waits after `failures` wrong passwords for one account from
    one network."""
    config = current_app.config
    over = failures - config["LOGIN_FREE_ATTEMPTS"]
    return 0.0 if over < 0 else min(2.0**over, config["LOGIN_LONGEST_WAIT_SECONDS"])


def count_password_attempt(username: str, network: str) -> float:
    """Count this attempt before the password is checked (two guesses sent at once are both
    counted): 0, or the seconds to wait before the next one is heard. The caller commits, best
    before hashing the password, so the write lock is not held meanwhile."""
    config = current_app.config
    window = config["LOGIN_WINDOW_SECONDS"]
    if not throttle.hit(_network_key(network), config["LOGIN_ATTEMPTS_PER_CLIENT"], window):
        return float(window)
    return throttle.hit_spaced(_account_key(username, network), _gap, FAILURES_KEPT_SECONDS)


def forget_wrong_passwords(username: str, network: str) -> None:
    """The right password was given: the account's wrong ones from that network stop counting,
    and this attempt is taken back from the network's cap. The caller commits."""
    throttle.forget(_account_key(username, network))
    throttle.give_back(_network_key(network))
