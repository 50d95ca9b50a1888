from tests.pages.browser import browser, fresh_browser  # noqa: F401 (fixtures)
