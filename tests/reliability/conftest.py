"""Fixtures for the reliability tests: the security tests' private storage for uploads."""

from tests.security.conftest import private_storage

__all__ = ["private_storage"]
