"""Slug rules: accents folded, punctuation dropped, readable and bounded."""

import pytest

from cms.kernel.text import is_valid_slug, slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Été à Montréal !", "ete-a-montreal"),
        ("Community management : la grande illusion ?", "community-management-la-grande-illusion"),
        ("L’œuvre d’art", "l-oeuvre-d-art"),
        ("Straße & Co.", "strasse-co"),
        ("  --Hello---World--  ", "hello-world"),
        ("2026: année 1", "2026-annee-1"),
        ("!!!", ""),
        ("日本語", ""),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_long_titles_are_cut_at_a_word():
    slug = slugify("word " * 40)
    assert len(slug) <= 80 and not slug.endswith("-") and slug.endswith("word")


@pytest.mark.parametrize(
    ("slug", "valid"),
    [
        ("ete-a-montreal", True),
        ("a", True),
        ("Upper", False),
        ("two--hyphens", False),
        ("-edge", False),
        ("spa ce", False),
        ("", False),
    ],
)
def test_is_valid_slug(slug, valid):
    assert is_valid_slug(slug) is valid
