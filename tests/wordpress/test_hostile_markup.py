"""WordPress content shaped against the importer's regular expressions (openers that never
close, long whitespace runs): what it turns into. Speed is measured in bench/, never here."""

from __future__ import annotations

from cms.markup import MORE_RE
from cms.wordpress.content import comment_source, post_source
from cms.wordpress.filters import strip_shortcodes, wpautop


def test_unclosed_raw_elements_keep_their_text_and_closed_ones_their_newlines():
    text = "<svg" * 3000 + "\n\n<script>a\nb</script>"
    shaped = wpautop(text)
    assert shaped.count("<svg") == 3000
    assert "<script>a\nb</script>" in shaped


def test_a_long_whitespace_run_without_a_newline_is_left_as_it_is():
    assert wpautop("a" + " " * 20_000 + "b") == "<p>a" + " " * 20_000 + "b</p>\n"


def test_line_breaks_follow_wordpress_even_after_a_written_break():
    assert wpautop("a<br />\nb\n  \nc") == "<p>a<br />\nb</p>\n<p>c</p>\n"
    assert wpautop("a<br />  \nb") == "<p>a<br /> <br />\nb</p>\n"


def test_whitespace_around_media_tags_goes_but_a_long_run_elsewhere_stays():
    text = "<object><param name='a'>  \n <param name='b'>\n</object>" + " " * 10_000 + "x"
    shaped = wpautop(text)
    assert "<object><param name='a'><param name='b'></object>" in shaped
    assert shaped.endswith(" " * 10_000 + "x</p>\n")


def test_unclosed_core_shortcodes_are_left_as_text():
    text = "[caption]<img src='a.jpg'> Un pain[/caption] " + "[gallery ids='1'" * 2000
    assert strip_shortcodes(text) == "<img src='a.jpg'> Un pain " + "[gallery ids='1'" * 2000


def test_the_more_marker_is_found_after_many_unclosed_ones():
    text = "<!--more " * 2000 + "<!--more Lire la suite-->fin"
    assert MORE_RE.search(text)[0] == "<!--more Lire la suite-->"
    assert MORE_RE.search("<!--more" + " " * 20_000) is None
    post = post_source("Avant" + " " * 20_000 + "<!--more-->Après", "fr")
    assert post.startswith("<p>Avant ") and post.endswith("</p>\n\n<!--more-->\n\n<p>Après</p>")


def test_a_comment_of_unclosed_tags_is_its_text():
    text = "<b\n" * 3000
    assert comment_source(text) == "\n".join(["<b"] * 3000)


def test_a_comment_with_an_unknown_marked_section_is_imported_as_text():
    assert comment_source("Bonjour <![<b>x</b> fin") == "Bonjour <![**x** fin"
    assert comment_source("<![if !supportLists]>1.<![endif]> Un point") == "1. Un point"
