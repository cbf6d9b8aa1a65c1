"""The customer portal project package: settings, URLs and cross-cutting plumbing only."""

from .celery import app as celery_app

__all__ = ["celery_app"]
