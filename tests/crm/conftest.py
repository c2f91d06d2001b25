from __future__ import annotations

import pytest

from tests.crm.builders import grant_customer_permissions


@pytest.fixture(autouse=True)
def customer_permissions(company) -> None:
    grant_customer_permissions()
