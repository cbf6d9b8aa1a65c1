"""The form of /account/support."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from support.models import SupportTopic
from support.services import MESSAGE_MAX_LENGTH


class SupportRequestForm(forms.Form):
    topic = forms.ChoiceField(
        label=_("Topic"),
        choices=[("", _("Choose a topic")), *SupportTopic.choices],
        error_messages={
            "required": _("Choose a topic."),
            "invalid_choice": _("Choose one of the topics."),
        },
    )
    message = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("Tell us what happened and what you need. We usually reply within a day."),
        error_messages={"required": _("Write what you need help with.")},
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class SupportMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=MESSAGE_MAX_LENGTH,
        error_messages={"required": _("Write your message.")},
        widget=forms.Textarea(attrs={"rows": 5}),
    )
