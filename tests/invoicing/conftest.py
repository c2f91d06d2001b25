import pytest

from tests.invoicing.builders import Desk, build_desk


@pytest.fixture
def desk(company) -> Desk:
    return build_desk(company)
