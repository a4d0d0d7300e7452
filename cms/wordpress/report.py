"""What an import did, and how the command prints it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..kernel.text import counted


@dataclass
class ImportReport:
    """What an import did: counts of what was created, and everything left out with its reason."""

    site_title: str = ""
    site_url: str = ""
    posts: int = 0
    pages: int = 0
    states: Counter[str] = field(default_factory=Counter)
    comments: Counter[str] = field(default_factory=Counter)
    replies: int = 0
    closed: int = 0
    authors_created: list[str] = field(default_factory=list)
    authors_matched: list[str] = field(default_factory=list)
    tags_created: int = 0
    redirects: int = 0
    # Pages whose address the site itself uses (/feeds/...): (their slug, the one given instead).
    pages_moved: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # How long the write transaction lasted, lock wait included (None for a dry run).
    write_seconds: float | None = None

    def lines(self, *, verbose: bool = False) -> list[str]:
        """The report as a user reads it on the terminal."""
        states = ", ".join(f"{count} {state}" for state, count in sorted(self.states.items()))
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(self.comments.items()))
        lines = [
            f"From {self.site_title or 'WordPress'} ({self.site_url or 'no address'}):",
            f"  {counted(self.posts, 'post')} and {counted(self.pages, 'page')}"
            + (f" ({states})" if states else ""),
            f"  {counted(sum(self.comments.values()), 'comment')}"
            + (f" ({statuses}), {self.replies} of them replies" if statuses else ""),
            f"  {self.closed} posts and pages with comments closed",
            f"  {counted(self.tags_created, 'new tag')}, "
            f"{counted(self.redirects, 'old address', 'old addresses')} redirected",
        ]
        if self.pages_moved:
            moves = ", ".join(f"/{wanted}/ → /{given}/" for wanted, given in self.pages_moved)
            lines.append(
                f"  {counted(len(self.pages_moved), 'page')} at another address, the site using "
                f"its own: {moves}"
            )
        if self.authors_matched:
            lines.append(f"  existing authors kept: {', '.join(self.authors_matched)}")
        if self.authors_created:
            lines.append(f"  new authors: {', '.join(self.authors_created)}")
            lines.append(
                "  New authors cannot log in until they have a password: "
                "flask --app app set-password NAME"
            )
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)}:")
            reasons = Counter(reason for _, reason in self.skipped)
            lines += [f"  {count} × {reason}" for reason, count in reasons.most_common()]
            if verbose:
                lines += [f"    - {what}: {reason}" for what, reason in self.skipped]
        return lines
