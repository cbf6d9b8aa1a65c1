"""Read queries for residence card verification: the stored files, for support staff."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import Http404

from accounts.models import ResidenceCardVerification

RESIDENCE_CARD_SIDES = ("front", "back")


def get_residence_card_file(*, verification_id: int, side: str) -> tuple[FieldFile, str]:
    """One side of a stored residence card and its content type, for support staff only.

    Callers check staff access; there is no customer scope because no customer route
    serves these files. Http404 when the card or that side does not exist.
    """
    if side not in RESIDENCE_CARD_SIDES:
        raise Http404("No such side.")
    verification = ResidenceCardVerification.objects.filter(pk=verification_id).first()
    if verification is None:
        raise Http404("No such verification.")
    file = getattr(verification, f"{side}_image")
    if not file:
        raise Http404("Nothing uploaded.")
    return file, getattr(verification, f"{side}_content_type") or "application/octet-stream"
