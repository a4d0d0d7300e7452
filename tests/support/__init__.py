"""What several test folders share: a sample site, comment helpers, a real server, the data."""

from cms import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data"
WXR_EXPORT = DATA / "wxr" / "export.xml"
XSS_PAYLOADS = DATA / "xss_payloads.txt"
# The real WordPress export beside the project, when there is one (its tests skip otherwise).
THEME_UNIT_TEST = (
    PROJECT_ROOT.parent / "shared" / "fixtures" / "wxr" / "themeunittestdata.wordpress.xml"
)
