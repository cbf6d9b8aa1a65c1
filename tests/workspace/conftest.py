from __future__ import annotations

# The support staff member and their logged-in client, as the staff log's tests have them.
from tests.staff.conftest import support, support_user

__all__ = ["support", "support_user"]
