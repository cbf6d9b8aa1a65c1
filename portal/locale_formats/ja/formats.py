"""Japanese dates as our letters write them: a space between the date and the time."""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 G:i"
SHORT_DATETIME_FORMAT = "Y/m/d G:i"
