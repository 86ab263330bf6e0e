"""The canary fixture of the secrets scenario (helpers: canary_search.py)."""

import pytest

from canary_search import canary_value


@pytest.fixture(scope="session")
def canary():
    return canary_value()
