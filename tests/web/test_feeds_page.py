"""The page a visitor reaches from the menu's "Feed" link: how to follow the blog, with the feed
addresses to copy. The feeds themselves stay Atom at their addresses."""

from __future__ import annotations

import re

from tests.support.comments import section


def test_the_menu_feed_link_leads_to_a_page_for_people_not_to_the_xml(client, make_post):
    make_post("Talk")
    home = client.get("/").get_data(as_text=True)
    nav = section(home, '<nav class="site-nav"', "</nav>")
    assert '<a href="/feeds/">Feed</a>' in nav
    assert "/feed.xml" not in nav
    # Feed readers still find the feed from any page.
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Causerie" href="/feed.xml">'
        in home
    )

    response = client.get("/feeds/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "<h1>Follow this blog</h1>" in page
    assert "feed reader" in page
    assert '<code class="feed-address">http://blog.test/feed.xml</code>' in page
    assert "comments.xml" not in page


def test_from_a_post_the_page_also_gives_that_posts_comments_feed(client, make_post):
    make_post("Talk")
    post = client.get("/posts/talk/").get_data(as_text=True)
    nav = section(post, '<nav class="site-nav"', "</nav>")
    assert '<a href="/feeds/?post=talk">Feed</a>' in nav
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Comments on “Talk”" '
        'href="/posts/talk/comments.xml">'
    ) in post

    page = client.get("/feeds/?post=talk").get_data(as_text=True)
    assert '<code class="feed-address">http://blog.test/feed.xml</code>' in page
    comments = section(page, 'id="comments-feed"', "</section>")
    assert "Comments on “Talk”" in comments
    assert '<code class="feed-address">http://blog.test/posts/talk/comments.xml</code>' in comments
    assert '<a href="/posts/talk/">' in comments


def test_a_post_that_is_not_public_gives_no_comments_feed(client, make_post):
    make_post("Secret plan", status="draft")
    for address in ("/feeds/?post=secret-plan", "/feeds/?post=nothing-here", "/feeds/?post="):
        response = client.get(address)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Secret" not in page and "comments.xml" not in page
        assert '<code class="feed-address">http://blog.test/feed.xml</code>' in page


def test_the_feeds_stay_atom_at_their_addresses_and_the_page_is_in_the_sitemap(client, make_post):
    make_post("Talk")
    assert client.get("/feed.xml").mimetype == "application/atom+xml"
    assert client.get("/posts/talk/comments.xml").mimetype == "application/atom+xml"
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert "<loc>http://blog.test/feeds/</loc>" in sitemap
    assert len(re.findall(r"/feeds/", sitemap)) == 1


def test_the_footer_feed_link_leads_to_the_page_for_people_too(client, make_post):
    """The footer's "Atom feed" opened the raw XML in the browser, from every page."""
    make_post("Talk")
    for address in ("/", "/posts/talk/", "/archive/", "/feeds/"):
        page = client.get(address).get_data(as_text=True)
        footer = section(page, '<footer class="site-footer"', "</footer>")
        assert '<a href="/feeds/">Atom feed</a>' in footer, address
        assert "/feed.xml" not in footer, address
        # Feed readers still find the XML from the page's head.
        head = section(page, "<head>", "</head>")
        assert 'type="application/atom+xml" title="Causerie" href="/feed.xml"' in head, address
