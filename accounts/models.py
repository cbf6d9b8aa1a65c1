"""People and identity: the login, the customer record and the two identity gates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.text import Text


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A login. Customers and support staff are both users; email is the username."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)

    # Every API token carries the version it was issued under; raising it (a password change
    # or reset) makes every token issued before refused.
    token_version = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.email


class EndedLoginReason(models.TextChoices):
    LOGGED_OUT = "logged_out", "Logged out"
    REFRESH_REUSED = "refresh_reused", "A refresh token was used twice"


class EndedLogin(models.Model):
    """An API login (a token family, the `fam` of accounts.tokens) that is over: every
    access and refresh token of it is refused, checked in the same statement that loads
    the user. A row outlives its tokens by at most the refresh lifetime."""

    family = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=EndedLoginReason.choices)
    ended_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.family} ({self.reason})"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    JAPANESE = "ja", "日本語"


class Customer(models.Model):
    """The customer behind a login, linked to the CRM (Salesforce) Account."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="customer")
    crm_account_id = models.CharField(
        _("Salesforce Account Id"), max_length=18, unique=True, null=True, blank=True
    )
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.user.email}>" if self.user_id else self.name


class EligibilityStatus(models.TextChoices):
    NOT_REQUESTED = "not_requested", _("Not requested")
    PENDING = "pending", _("Checking")
    ELIGIBLE = "eligible", _("Available")
    INELIGIBLE = "ineligible", _("Not available")

    @property
    def tone(self) -> str:
        """The badge colour wherever this status is shown (pages and dashboard alike)."""
        return _ELIGIBILITY_TONES[self]


_ELIGIBILITY_TONES: dict[EligibilityStatus, str] = {
    EligibilityStatus.NOT_REQUESTED: "neutral",
    EligibilityStatus.PENDING: "info",
    EligibilityStatus.ELIGIBLE: "success",
    # Not the customer's doing and nothing is late: a warning, not an alarm.
    EligibilityStatus.INELIGIBLE: "warning",
}


class InternetEligibility(models.Model):
    """Whether our internet service can reach the customer's address."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="internet_eligibility"
    )
    status = models.CharField(
        max_length=16, choices=EligibilityStatus.choices, default=EligibilityStatus.NOT_REQUESTED
    )
    postal_code = models.CharField(max_length=8, blank=True)
    address = models.CharField(max_length=300, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # Staff write for the customer in English (`notes`) and Japanese (`notes_ja`); the
    # customer reads their language, or the other one marked with its language.
    notes = models.TextField(blank=True)
    notes_ja = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "internet eligibility"

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.status}"

    @property
    def notes_text(self) -> Text:
        """The notes in the reader's language (str() in the active language)."""
        return Text(en=self.notes, ja=self.notes_ja)

    @property
    def accepts_request(self) -> bool:
        """A new check can be asked for unless one is being checked."""
        return self.status != EligibilityStatus.PENDING


class VerificationStatus(models.TextChoices):
    NOT_SUBMITTED = "not_submitted", _("Not submitted")
    PENDING = "pending", _("Under review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")

    @property
    def tone(self) -> str:
        """The badge colour wherever this status is shown (pages and dashboard alike)."""
        return _VERIFICATION_TONES[self]


_VERIFICATION_TONES: dict[VerificationStatus, str] = {
    VerificationStatus.NOT_SUBMITTED: "neutral",
    VerificationStatus.PENDING: "info",
    VerificationStatus.VERIFIED: "success",
    VerificationStatus.REJECTED: "critical",
}


def _private_storage() -> Any:
    return storages["private"]


def residence_card_path(instance: ResidenceCardVerification, filename: str) -> str:
    # The customer's file name never reaches the disk: it could carry anything.
    import uuid

    return f"residence-cards/{instance.customer_id}/{uuid.uuid4().hex}"


# A verified card that expires within this many days may be replaced by the renewed one;
# the reminders and the dashboard task start then too.
RENEWAL_NOTICE_DAYS = 60


class ResidenceCardVerification(models.Model):
    """Identity verification with the residence card (在留カード), required for SIM orders."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="residence_card_verification"
    )
    status = models.CharField(
        max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.NOT_SUBMITTED
    )
    front_image = models.FileField(
        storage=_private_storage, upload_to=residence_card_path, blank=True, max_length=200
    )
    front_content_type = models.CharField(max_length=40, blank=True)
    back_image = models.FileField(
        storage=_private_storage, upload_to=residence_card_path, blank=True, max_length=200
    )
    back_content_type = models.CharField(max_length=40, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What staff told the customer, in English and Japanese (see InternetEligibility.notes).
    rejection_reason = models.TextField(blank=True)
    rejection_reason_ja = models.TextField(blank=True)
    card_expires_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.status}"

    @property
    def rejection_reason_text(self) -> Text:
        """The reason in the reader's language (str() in the active language)."""
        return Text(en=self.rejection_reason, ja=self.rejection_reason_ja)

    @property
    def accepts_upload(self) -> bool:
        """The customer can send their card: never sent, rejected and to be sent again, or
        verified with a card that expires within 60 days (or has expired): the renewed one."""
        if self.status in (VerificationStatus.NOT_SUBMITTED, VerificationStatus.REJECTED):
            return True
        return self.renewal_due()

    def renewal_due(self, *, today: date | None = None) -> bool:
        """A verified card that expires within RENEWAL_NOTICE_DAYS (Tokyo), or has expired."""
        from portal.dates import tokyo_today

        if self.status != VerificationStatus.VERIFIED or self.card_expires_on is None:
            return False
        today = today or tokyo_today()
        return self.card_expires_on <= today + timedelta(days=RENEWAL_NOTICE_DAYS)
