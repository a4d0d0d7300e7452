"""Every address and blueprint stays as it is while the code behind it moves: the routes, pinned."""

from cms import create_app

ROUTES = """
auth.login                   GET,POST  /login
auth.logout                  POST      /logout
blog.archive                 GET       /archive/<int:year>/<int:month>/
blog.archives                GET       /archive/
blog.feed                    GET       /feed.xml
blog.feeds                   GET       /feeds/
blog.index                   GET       /
blog.media_file              GET       /media/<name>
blog.post                    GET       /posts/<slug>/
blog.preview                 GET       /preview/<token>
blog.robots                  GET       /robots.txt
blog.sitemap                 GET       /sitemap.xml
blog.tag                     GET       /tags/<slug>/
comments.create              POST      /posts/<slug>/comments
comments.feed                GET       /posts/<slug>/comments.xml
comments.permalink           GET       /comments/<int:comment_id>
editor.account              GET,POST  /editor/account
editor.approve_comment       POST      /editor/comments/<int:comment_id>/approve
editor.autosave              POST      /editor/autosave
editor.bulk_comments         POST      /editor/comments/bulk
editor.change_password       POST      /editor/account/password
editor.comments              GET       /editor/comments
editor.create_preview_link   POST      /editor/posts/<int:post_id>/preview-link
editor.dashboard             GET       /editor/
editor.delete                GET,POST  /editor/posts/<int:post_id>/delete
editor.delete_comment        GET,POST  /editor/comments/<int:comment_id>/delete
editor.delete_upload         GET,POST  /editor/media/<int:upload_id>/delete
editor.describe_upload       GET,POST  /editor/media/<int:upload_id>/description
editor.discard_autosave      POST      /editor/autosave/discard
editor.edit                  GET,POST  /editor/posts/<int:post_id>/edit
editor.edit_comment          GET,POST  /editor/comments/<int:comment_id>/edit
editor.live_preview          POST      /editor/preview
editor.media                 GET       /editor/media
editor.new                   GET,POST  /editor/posts/new
editor.new_page              GET,POST  /editor/pages/new
editor.pages                 GET       /editor/pages
editor.restore_revision      GET,POST  /editor/posts/<int:post_id>/revisions/<int:revision_id>/restore
editor.revision              GET       /editor/posts/<int:post_id>/revisions/<int:revision_id>
editor.revisions             GET       /editor/posts/<int:post_id>/revisions
editor.revoke_preview_link   POST      /editor/posts/<int:post_id>/preview-link/revoke
editor.settings              GET,POST  /editor/settings
editor.spam_comment          POST      /editor/comments/<int:comment_id>/spam
editor.upload                POST      /editor/media/upload
health.healthz               GET       /healthz
pages.page                   GET       /<page_slug:slug>/
static                       GET       /static/<path:filename>
"""


def test_every_route_keeps_its_endpoint_methods_and_address():
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    served = sorted(
        (rule.endpoint, ",".join(sorted(rule.methods - {"HEAD", "OPTIONS"})), rule.rule)
        for rule in app.url_map.iter_rules()
    )
    assert served == [tuple(line.split()) for line in ROUTES.strip().splitlines()]
    # Registered last, the page address /<slug>/ takes no word that another route starts with.
    assert list(app.blueprints) == ["blog", "auth", "comments", "health", "editor", "pages"]
