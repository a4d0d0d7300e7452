"""Tests for the WordPress export parser and the WordPress display filters in cms.wordpress."""

import dataclasses
import io
from collections import Counter
from datetime import datetime

import pytest

from cms.wordpress import (
    WXRAuthor,
    WXRComment,
    WXRError,
    WXRExport,
    has_blocks,
    parse_wxr,
    strip_shortcodes,
    wpautop,
)
from tests import support

DATA = support.DATA / "wxr"
EXPORT = support.WXR_EXPORT
THEME_UNIT_TEST = support.THEME_UNIT_TEST


@pytest.fixture(scope="module")
def export() -> WXRExport:
    return parse_wxr(EXPORT)


def item(export: WXRExport, wp_id: int):
    return next(found for found in export.items if found.wp_id == wp_id)


# --- the hand-written export ---------------------------------------------------------------


def test_channel_and_authors(export):
    assert export.site_title == "Notes from the Lighthouse"
    assert export.site_url == "https://lighthouse.example.org/log"  # base_blog_url wins
    assert export.language == "en-GB"
    assert export.authors == (
        WXRAuthor("keeper", "keeper@lighthouse.example.org", "Mara Keeper"),
        WXRAuthor("visitor", "zoe@example.net", "Zoë & Friends"),
    )


def test_posts_and_pages_in_document_order(export):
    assert [(found.wp_id, found.kind) for found in export.items] == [
        (10, "post"),
        (11, "post"),
        (12, "post"),
        (13, "post"),
        (14, "post"),
        (20, "page"),
        (16, "post"),
    ]


def test_published_post_maps_every_field(export):
    post = item(export, 10)
    assert post.title == "Storm season"
    assert post.slug == "storm-season"
    assert post.link == "https://lighthouse.example.org/log/2021/03/storm-season/"
    assert post.author_login == "keeper"
    # The exporter's newline and tab after the CDATA section are not content.
    assert post.content_html.startswith("The wind started before supper.\n\nBy nine")
    assert post.content_html.endswith("<pre>wind:  NW 9\n\nrain:  heavy</pre>")
    assert "<!--more-->\n[caption id=" in post.content_html
    assert post.excerpt_html == "Wind, rain and a very long night."
    assert post.date_gmt == datetime(2021, 3, 14, 21, 5)  # post_date_gmt, not the local 22:05
    assert post.status == "published"
    assert post.original_status == "publish"
    assert post.comments_open is True
    assert post.menu_order == 0
    # Category and tag "weather" collapse to the first spelling; the post format is not a tag;
    # entities in term names are decoded.
    assert post.tags == ("Uncategorized", "Weather", "Night & Day")


@pytest.mark.parametrize(
    ("wp_id", "status", "original_status"),
    [
        (10, "published", "publish"),
        (11, "draft", "draft"),
        (12, "draft", "pending"),
        (13, "draft", "private"),
        (14, "scheduled", "future"),
        (20, "published", "publish"),
        (16, "draft", "auto-draft"),
    ],
)
def test_status_mapping(export, wp_id, status, original_status):
    found = item(export, wp_id)
    assert (found.status, found.original_status) == (status, original_status)


def test_draft_falls_back_to_local_date_and_keeps_an_empty_slug(export):
    draft = item(export, 11)
    assert draft.date_gmt == datetime(2021, 4, 1, 9, 0)
    assert draft.slug == ""
    assert draft.author_login == "visitor"
    assert draft.comments_open is False
    assert draft.content_html == "First line\nsecond line"
    assert draft.excerpt_html == ""
    assert draft.tags == ()
    assert draft.comments == ()


def test_auto_draft_without_any_date(export):
    assert item(export, 16).date_gmt is None


def test_scheduled_post_and_page(export):
    scheduled = item(export, 14)
    assert scheduled.date_gmt == datetime(2031, 9, 22, 19, 0)
    assert scheduled.tags == ("Night & Day",)
    page = item(export, 20)
    assert (page.kind, page.slug, page.menu_order, page.comments_open) == (
        "page",
        "about",
        3,
        False,
    )


def test_comment_maps_every_field(export):
    assert item(export, 10).comments[0] == WXRComment(
        wp_id=101,
        parent_wp_id=None,
        author="Fisher Tom",
        email="tom@harbour.example",
        url="https://harbour.example/tom",
        ip="192.0.2.10",
        date_gmt=datetime(2021, 3, 15, 7, 30),
        body="We saw the beam all night. <em>Thank you.</em>",
        status="approved",
        kind="comment",
    )


def test_comment_threads_statuses_and_kinds(export):
    comments = item(export, 10).comments
    # 107 is an order_note: listed in skipped, not here.
    assert [(c.wp_id, c.parent_wp_id, c.status, c.kind) for c in comments] == [
        (101, None, "approved", "comment"),
        (102, 101, "approved", "comment"),
        (103, 102, "pending", "comment"),
        (104, None, "approved", "pingback"),
        (105, None, "spam", "trackback"),
        (106, None, "trash", "comment"),
    ]


def test_comment_without_gmt_date_uses_local_date(export):
    assert item(export, 10).comments[2].date_gmt == datetime(2021, 3, 15, 10, 15)


def test_pingback_author_entities_are_decoded_and_body_kept_raw(export):
    pingback = item(export, 10).comments[3]
    assert pingback.author == "Harbour log \u00ab Ships\u2019 tales"
    assert pingback.email == ""
    assert pingback.body == "[&#8230;] the lighthouse kept us honest [&#8230;]"


def test_skipped_lists_what_is_left_out_and_why(export):
    assert export.skipped == (
        (
            "comment 107 on post 'Storm season' (id 10)",
            "comment type 'order_note' is not imported",
        ),
        ("post 'Storm season (copy)' (id 15)", "it was in the trash"),
        ("attachment 'lamp' (id 30)", "attachments are not imported"),
        ("nav_menu_item (id 40)", "navigation menu items are not imported"),
        ("wp_block 'Signature' (id 50)", "post type 'wp_block' is not imported"),
    )


def test_results_are_frozen(export):
    with pytest.raises(dataclasses.FrozenInstanceError):
        export.items[0].title = "Changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    "namespace",
    [
        b"http://wordpress.org/export/1.0/",
        b"http://wordpress.org/export/1.1/",
        b"https://wordpress.org/export/1.2/",
    ],
)
def test_every_wxr_namespace_is_read(export, namespace):
    data = EXPORT.read_bytes().replace(b"http://wordpress.org/export/1.2/", namespace)
    assert parse_wxr(data) == export


def test_every_kind_of_source_gives_the_same_result(export):
    data = EXPORT.read_bytes()
    assert parse_wxr(str(EXPORT)) == export
    assert parse_wxr(data) == export
    assert parse_wxr(data.decode("utf-8")) == export
    stream = io.BytesIO(data)
    assert parse_wxr(stream) == export
    assert not stream.closed


# --- files that cannot be imported ---------------------------------------------------------


def error_for(source) -> str:
    with pytest.raises(WXRError) as caught:
        parse_wxr(source)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_wxr_error_is_a_value_error():
    assert issubclass(WXRError, ValueError)


def test_malformed_xml_names_the_file_line_and_column():
    assert error_for(DATA / "malformed.xml") == (
        "malformed.xml is not valid XML (line 14, column 32): mismatched tag"
    )


def test_truncated_file_says_it_ends_too_early():
    assert error_for(DATA / "truncated.xml") == (
        "truncated.xml is not valid XML (line 19, column 31): unclosed CDATA section"
        " (the file ends too early: an incomplete download or copy?)"
    )


def test_export_cut_at_any_point_is_refused():
    data = EXPORT.read_bytes()
    for end in range(0, len(data) - 10, 997):
        message = error_for(data[:end])
        assert "is not valid XML" in message, end


def test_plain_rss_feed_is_not_an_export():
    assert error_for(DATA / "feed.xml") == (
        "feed.xml is not a WordPress export (no wp:wxr_version)"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title></feed>',
            "The file is not a WordPress export (its root element is <feed>, not <rss>)",
        ),
        (
            b'<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"></rss>',
            "The file is not a WordPress export (no <channel> in the <rss> document)",
        ),
        (
            b'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>T</title>'
            b"</channel></rss>",
            "The file is not a WordPress export (no wp:wxr_version)",
        ),
        (
            b"",
            "The file is not valid XML (line 1, column 1): no element found"
            " (the file is empty or ends too early: an incomplete download or copy?)",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<rss>&b;</rss>",
            "The file declares XML entities, which are refused for safety",
        ),
    ],
)
def test_documents_that_are_not_exports(data, message):
    assert error_for(data) == message


def test_unreadable_path():
    assert error_for(DATA / "missing.xml") == (
        "missing.xml cannot be read: No such file or directory"
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            b"<wp:post_id>12</wp:post_id>",
            b"<wp:post_id>twelve</wp:post_id>",
            "item 'Waiting for the editor' has an invalid wp:post_id ('twelve')",
        ),
        (
            b"<wp:post_date_gmt>2021-04-02 09:00:00</wp:post_date_gmt>",
            b"<wp:post_date_gmt>2 April 2021</wp:post_date_gmt>",
            "post 'Waiting for the editor' (id 12) has an invalid wp:post_date_gmt"
            " ('2 April 2021')",
        ),
    ],
)
def test_values_wordpress_never_writes_are_refused(old, new, message):
    assert error_for(EXPORT.read_bytes().replace(old, new)) == message


# --- wpautop --------------------------------------------------------------------------------


def test_wpautop_makes_paragraphs_and_line_breaks():
    text = "First paragraph.\n\nSecond paragraph,\nwith a line break.\n\n\n\nThird."
    assert wpautop(text) == (
        "<p>First paragraph.</p>\n"
        "<p>Second paragraph,<br />\nwith a line break.</p>\n"
        "<p>Third.</p>\n"
    )


def test_wpautop_normalises_windows_line_endings():
    assert wpautop("One\r\n\r\nTwo\r\nthree") == "<p>One</p>\n<p>Two<br />\nthree</p>\n"


def test_wpautop_leaves_block_elements_unwrapped():
    text = "Intro\n<h2>Heading</h2>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\nOutro"
    assert wpautop(text) == (
        "<p>Intro</p>\n<h2>Heading</h2>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<p>Outro</p>\n"
    )


def test_wpautop_tables_and_hr():
    assert wpautop("<table><tr><td>cell</td></tr></table>") == (
        "<table>\n<tr>\n<td>cell</td>\n</tr>\n</table>\n"
    )
    assert wpautop("above<hr>below") == "<p>above</p>\n<hr>\n<p>below</p>\n"


def test_wpautop_puts_paragraphs_inside_blockquotes():
    assert wpautop("<blockquote>Quoted\n\nTwice</blockquote>") == (
        "<blockquote><p>Quoted</p>\n<p>Twice</p></blockquote>\n"
    )


def test_wpautop_never_touches_pre():
    code = "<pre>def f():\n\n    return 1\n<br>\n</pre>"
    assert wpautop(f"Code:\n\n{code}\n\nDone.") == f"<p>Code:</p>\n{code}\n<p>Done.</p>\n"


def test_wpautop_keeps_newlines_inside_tags_comments_and_scripts():
    assert wpautop('A <a\nhref="/x">link</a>') == '<p>A <a\nhref="/x">link</a></p>\n'
    assert wpautop("Note <!-- a\ncomment -->") == "<p>Note <!-- a\ncomment --></p>\n"
    script = "<script>\nvar a = 1;\n</script>"
    assert wpautop(script) == f"<p>{script}</p>\n"


def test_wpautop_turns_double_br_into_paragraphs():
    assert wpautop("one<br><br/>two<br>\nthree") == "<p>one</p>\n<p>two<br />\nthree</p>\n"


def test_wpautop_blank_text():
    assert wpautop("") == ""
    assert wpautop(" \n\t\n") == ""


def test_wpautop_on_an_imported_post(export):
    assert wpautop(strip_shortcodes(item(export, 10).content_html)) == (
        "<p>The wind started before supper.</p>\n"
        "<p>By nine the rain came sideways<br />\n"
        "and the windows hummed.<br />\n"
        "<!--more--><br />\n"
        '<img src="https://lighthouse.example.org/log/wp-content/uploads/lamp.jpg"'
        ' alt="The lamp" /> The old lamp</p>\n'
        "<h2>What we checked</h2>\n"
        "<ul>\n<li>the lens</li>\n<li>the fog horn</li>\n</ul>\n"
        "<pre>wind:  NW 9\n\nrain:  heavy</pre>\n"
    )


def test_has_blocks():
    assert has_blocks("<!-- wp:paragraph -->\n<p>Hi</p>\n<!-- /wp:paragraph -->")
    assert not has_blocks("Hi\n\n<!--more-->\nthere")


# --- strip_shortcodes ------------------------------------------------------------------------


def test_caption_keeps_image_and_caption_text():
    assert (
        strip_shortcodes(
            '[caption id="attachment_3" align="alignleft" width="300"]'
            '<img src="a.jpg" alt="" /> The old lamp[/caption]'
        )
        == '<img src="a.jpg" alt="" /> The old lamp'
    )


def test_old_style_caption_attribute_is_kept_as_text():
    assert (
        strip_shortcodes(
            '[caption id="a" width="640" caption="Husk, Western Australia"]'
            '<a href="b.jpg"><img src="b.jpg" /></a>[/caption]'
        )
        == '<a href="b.jpg"><img src="b.jpg" /></a> Husk, Western Australia'
    )


def test_media_shortcodes_are_removed():
    assert strip_shortcodes('A [gallery ids="1,2"] B [gallery columns=2 /] C') == "A  B  C"
    assert strip_shortcodes("[audio https://example.org/a.mp3]") == ""
    assert strip_shortcodes('[video mp4="v.mp4"]fallback[/video]') == ""
    assert strip_shortcodes("[playlist ids='4,5']") == ""


def test_embed_keeps_its_url():
    assert strip_shortcodes("[embed width=640]https://example.org/v[/embed]") == (
        "https://example.org/v"
    )


def test_escaped_and_unknown_brackets_are_left_alone():
    text = "[[gallery]] [sic] [...] [youtube https://example.org] [galleryx] [/caption]"
    assert strip_shortcodes(text) == (
        "[gallery] [sic] [...] [youtube https://example.org] [galleryx] [/caption]"
    )


# --- WordPress's theme unit test data -------------------------------------------------------
#
# Counted apart from cms.wordpress, with regular expressions over the raw file (no XML parser):
#   186 <item>s: 58 posts, 21 pages, 37 attachments, 70 nav_menu_items
#   posts and pages by wp:status: 77 publish, 1 draft (id 1164, empty post_name),
#     1 future (id 1153), none in the trash
#   wp:comment_status: 49 closed, 30 open
#   33 comments on 7 items: 29 comments, 2 pingbacks, 2 trackbacks; 30 approved, 3 pending;
#     10 replies (comment_parent != 0); 20 of them on item 1148
#   2 authors; 1 item with an excerpt; 19 items in block-editor markup ("<!-- wp:")
#   tags: 327 names over all items once category/post_tag names are deduplicated ignoring
#     case (post formats excluded); 11 items carry "Uncategorized"


@pytest.fixture(scope="module")
def theme_unit_test() -> WXRExport:
    if not THEME_UNIT_TEST.is_file():
        pytest.skip(f"{THEME_UNIT_TEST} is not available")
    return parse_wxr(THEME_UNIT_TEST)


def test_theme_unit_test_channel(theme_unit_test):
    assert theme_unit_test.site_title == "Theme Unit Test Data"
    assert theme_unit_test.site_url == "https://wpthemetestdata.wordpress.com"
    assert theme_unit_test.language == "en"
    assert [author.login for author in theme_unit_test.authors] == [
        "themedemos",
        "themereviewteam",
    ]


def test_theme_unit_test_items(theme_unit_test):
    items = theme_unit_test.items
    assert Counter(found.kind for found in items) == {"post": 58, "page": 21}
    assert Counter(found.status for found in items) == {
        "published": 77,
        "draft": 1,
        "scheduled": 1,
    }
    assert [found.wp_id for found in items if found.status == "draft"] == [1164]
    assert [found.wp_id for found in items if found.status == "scheduled"] == [1153]
    assert item(theme_unit_test, 1164).slug == ""
    assert sum(not found.comments_open for found in items) == 49
    assert sum(bool(found.excerpt_html) for found in items) == 1
    assert sum(has_blocks(found.content_html) for found in items) == 19
    assert sum(len(found.tags) for found in items) == 327
    assert sum("Uncategorized" in found.tags for found in items) == 11
    assert all(found.date_gmt is not None for found in items)


def test_theme_unit_test_comments(theme_unit_test):
    comments = [comment for found in theme_unit_test.items for comment in found.comments]
    assert len(comments) == 33
    assert sum(bool(found.comments) for found in theme_unit_test.items) == 7
    assert len(item(theme_unit_test, 1148).comments) == 20
    assert Counter(comment.kind for comment in comments) == {
        "comment": 29,
        "pingback": 2,
        "trackback": 2,
    }
    assert Counter(comment.status for comment in comments) == {"approved": 30, "pending": 3}
    assert sum(comment.parent_wp_id is not None for comment in comments) == 10
    ids = {comment.wp_id for comment in comments}
    assert all(c.parent_wp_id in ids for c in comments if c.parent_wp_id is not None)


def test_theme_unit_test_skipped(theme_unit_test):
    assert Counter(reason for _, reason in theme_unit_test.skipped) == {
        "attachments are not imported": 37,
        "navigation menu items are not imported": 70,
    }
