"""Texts shaped to make a renderer scan ahead from every character: what they render to, and the
work they cost growing with their length (counted in Python lines, never timed: bench/ times
them)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from cms.markup import french_typography, plain_text, render_comment, render_post
from tests.support.work_count import python_lines

COMMENT_LINK = 'rel="nofollow ugc noopener noreferrer"'


def repeat(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


# Each unit opens something that never closes: with Python-Markdown's own scans, every opener
# read to the end of the text (a comment of 5,000 "[" took 2.5 s).
UNCLOSED_UNITS = ["[", "![", "[a](", "[![", "x[", "[^", "[a](b( ", "[a](<b "]
# These close some of what they open (code spans, emphasis, links to "b").
HALF_CLOSED_UNITS = ["`[", "*[", '[a](b"c) ', "``a`", "[*", "_*"]


def comment_text(html: str) -> str:
    return unescape(plain_text(html))


@pytest.mark.parametrize("unit", UNCLOSED_UNITS)
def test_a_hostile_comment_shows_every_character_it_was_sent_and_no_link(unit):
    source = repeat(unit, 5000)
    html = render_comment(source, "fr")
    assert html.startswith("<p>") and html.endswith("</p>")
    assert "<a " not in html
    assert comment_text(html) == source.strip()


@pytest.mark.parametrize("unit", HALF_CLOSED_UNITS)
def test_a_half_closed_hostile_comment_is_one_paragraph_of_allowed_inline_markup(unit):
    html = render_comment(repeat(unit, 5000), "fr")
    assert html.startswith("<p>") and html.endswith("</p>")
    assert set(re.findall(r"</?([a-z]+)", html)) <= {"p", "a", "code", "em", "strong"}
    assert all(link == COMMENT_LINK for link in re.findall(r"<a ([^>]*)>", html))


def test_brackets_nested_beyond_the_limit_are_text_and_the_link_after_them_still_works():
    source = "[" * 3000 + " voir [le site](https://example.org/) ou `f()`."
    html = render_comment(source, "fr")
    assert html.startswith("<p>" + "[" * 3000 + " voir <a ")
    assert f'<a href="https://example.org/" {COMMENT_LINK}>le site</a>' in html
    assert "<code>f()</code>" in html


def test_links_and_images_nested_as_people_write_them_still_render():
    html = render_post("[![Une miche](/media/miche.jpg)](https://example.org/) [[note]]", "fr")
    assert '<a href="https://example.org/"' in html.body_html
    assert '<img alt="Une miche" src="/media/miche.jpg"' in html.body_html
    assert "[[note]]" in html.body_html


def test_deeply_nested_brackets_render_as_text_around_what_they_hold():
    source = "[" * 40 + "a" + "]" * 40 + "(https://example.org/)"
    html = render_comment(source, "en")
    assert comment_text(html) == source
    assert "[" * 40 + "a" + "]" * 40 in html


def test_a_hostile_post_renders_as_text_with_its_headings_and_tables_intact():
    source = "# Titre\n\n" + repeat("[![", 6000) + "\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    rendered = render_post(source, "fr")
    assert rendered.body_html.startswith('<h1 id="titre">Titre</h1>\n<p>[![[![')
    assert "<td>1</td>" in rendered.body_html
    assert "<a " not in rendered.body_html


def test_a_post_of_many_one_line_headings_keeps_each_heading():
    rendered = render_post("# a\n" * 2000, "en")
    assert rendered.body_html.count("<h1 ") == 2000
    assert rendered.body_html.endswith('<h1 id="a_1999">a</h1>')


def test_trailing_brackets_after_a_bare_url_stay_outside_the_link():
    html = render_comment("http://example.org/wiki/Foo_(bar)" + ")" * 3000, "en")
    assert '<a href="http://example.org/wiki/Foo_(bar)"' in html
    assert html.endswith("</a>" + ")" * 3000 + "</p>")


@pytest.mark.parametrize("unit", ["[", "![", "[a](", "[![", "``a`", "[a](b( ", '[a](b"c) '])
def test_the_work_of_a_hostile_comment_grows_with_its_length(unit):
    short = python_lines(render_comment, repeat(unit, 400), "fr")
    long = python_lines(render_comment, repeat(unit, 1600), "fr")
    # Four times the length: four times the work when linear, sixteen when quadratic.
    assert long < 6 * short


HOSTILE_POSTS = {
    "image links": lambda n: repeat("[![", n),
    "nested brackets": lambda n: "[" * (n // 2) + "]" * (n // 2),
    "one-line headings": lambda n: repeat("# a\n", n),
    "one-column rows": lambda n: repeat("|a|\n", n),
}


@pytest.mark.parametrize("source", HOSTILE_POSTS.values(), ids=HOSTILE_POSTS.keys())
def test_the_work_of_a_hostile_post_grows_with_its_length(source):
    short = python_lines(render_post, source(400), "en")
    long = python_lines(render_post, source(1600), "en")
    assert long < 6 * short


# Each unit makes French typography look around or ahead: apostrophes, marks after words,
# quotes, and addresses that run to the next space.
TYPOGRAPHY_UNITS = ["l'", "a?", "«a»", "www.", "https://a", "mailto:", "a : ", "'a'", "5'"]


@pytest.mark.parametrize("unit", TYPOGRAPHY_UNITS)
def test_the_work_of_french_typography_grows_with_its_length(unit):
    short = python_lines(french_typography, f"<p>{repeat(unit, 400)}</p>")
    long = python_lines(french_typography, f"<p>{repeat(unit, 1600)}</p>")
    assert long < 6 * short
