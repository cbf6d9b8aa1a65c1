from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from staff.services import make_support_member
from tests.factories import UserFactory


@pytest.fixture
def support_user(db: None) -> User:
    """A member of the support group: staff, not a superuser."""
    return make_support_member(user=UserFactory(email="agent@example.com"))


@pytest.fixture
def support(client: Client, support_user: User) -> Client:
    client.force_login(support_user)
    return client
