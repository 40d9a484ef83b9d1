"""The harness itself: the accessibility check must catch what it is there to catch."""

import pytest

from tests.e2e.support import assert_accessible

pytestmark = pytest.mark.e2e


def test_assert_accessible_lists_serious_and_critical_violations(live_server, page):
    page.set_content("<html><body><img src='x.png'><input type='text'></body></html>")
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)
    message = str(failure.value)
    for rule in ("image-alt", "label", "html-has-lang"):
        assert rule in message, message
