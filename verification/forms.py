"""The verification page's upload form and the staff's review form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# The browser's file picker offers these; the server decides by the file's content.
CARD_FILE_ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"


class ResidenceCardForm(forms.Form):
    front = forms.FileField(
        label=_("Front side"),
        error_messages={"required": _("Choose a photo or scan of the front of your card.")},
        help_text=_("A photo or scan: JPEG, PNG or PDF, at most 10 MB."),
        widget=forms.FileInput(attrs={"accept": CARD_FILE_ACCEPT}),
    )
    back = forms.FileField(
        label=_("Back side"),
        error_messages={"required": _("Choose a photo or scan of the back of your card.")},
        help_text=_("A photo or scan: JPEG, PNG or PDF, at most 10 MB."),
        widget=forms.FileInput(attrs={"accept": CARD_FILE_ACCEPT}),
    )


# --- Support staff (admin) forms -----------------------------------------------------------


class ResidenceCardReviewForm(forms.Form):
    status = forms.ChoiceField(
        label="Decision",
        choices=[("verified", "Verified"), ("rejected", "Rejected")],
        widget=forms.RadioSelect,
    )
    card_expires_on = forms.DateField(
        label="Card expiry date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Needed to verify: the date printed on the card.",
    )
    rejection_reason = forms.CharField(
        label="Reason for the customer, in English",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "lang": "en"}),
        help_text="Needed to reject. The customer reads it, so say what to fix.",
    )
    rejection_reason_ja = forms.CharField(
        label="Reason for the customer, in Japanese",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "lang": "ja"}),
        help_text="The same reason in Japanese (例: 裏面の写真が読み取れません。).",
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        status = cleaned.get("status")
        if status == "verified" and not cleaned.get("card_expires_on"):
            self.add_error("card_expires_on", "Enter the expiry date printed on the card.")
        if status == "rejected":
            for field in ("rejection_reason", "rejection_reason_ja"):
                if not (cleaned.get(field) or "").strip():
                    self.add_error(field, "Tell the customer why the card was rejected.")
        return cleaned
