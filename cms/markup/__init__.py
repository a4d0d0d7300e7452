"""Markdown and imported HTML to sanitized HTML: the one place user text becomes Markup.

Owns the allow-lists, the Markdown converters, French typography and the render pipelines. Pure
text machinery: no app, no request, no database. It imports nothing from cms today and may import
only the plumbing in cms.kernel. Callers use the names below, from cms.markup. Inside, imports
point one way: html_tokens and allowlists first, then typography, markdown_limits (Python-Markdown's
scans, bounded), markdown_converters, text, and pipelines last.
"""

from .pipelines import (
    MORE_MARKER,
    MORE_RE,
    RENDERER_VERSION,
    RenderedPost,
    as_markup,
    render_comment,
    render_post,
    sanitize_html,
    typeset_text,
)
from .text import plain_text, word_count
from .typography import french_typography

__all__ = [
    "MORE_MARKER",
    "MORE_RE",
    "RENDERER_VERSION",
    "RenderedPost",
    "as_markup",
    "french_typography",
    "plain_text",
    "render_comment",
    "render_post",
    "sanitize_html",
    "typeset_text",
    "word_count",
]
