"""The plan catalog the portal starts with, seeded for demos and development."""

from __future__ import annotations

from decimal import Decimal

from subscriptions.models import Plan, PlanKind

PLANS = [
    # code, kind, name, name_ja, description, description_ja, monthly price (tax incl.)
    # The one-time fee and the data-only flag of each plan are in INITIAL_FEES and DATA_ONLY.
    (
        "hikari-1g",
        PlanKind.INTERNET,
        "Hikari Fiber 1 Gbps",
        "光ファイバー 1Gbps",
        "Fiber internet up to 1 Gbps, router included.",
        "最大1Gbpsの光回線。ルーター付き。",
        "5280",
    ),
    (
        "hikari-10g",
        PlanKind.INTERNET,
        "Hikari Fiber 10 Gbps",
        "光ファイバー 10Gbps",
        "Fiber internet up to 10 Gbps for demanding homes.",
        "最大10Gbpsの高速光回線。",
        "6930",
    ),
    (
        "sim-data-3gb",
        PlanKind.SIM,
        "SIM Data 3GB",
        "SIM データ 3GB",
        "3 GB of data a month, data only.",
        "月3GBのデータ専用SIM。",
        "990",
    ),
    (
        "sim-data-20gb",
        PlanKind.SIM,
        "SIM Data 20GB",
        "SIM データ 20GB",
        "20 GB of data a month, data only.",
        "月20GBのデータ専用SIM。",
        "2178",
    ),
    (
        "sim-voice-20gb",
        PlanKind.SIM,
        "SIM Voice + 20GB",
        "SIM 音声 + 20GB",
        "A phone number with calls and 20 GB of data.",
        "電話番号付き、通話と月20GBのデータ。",
        "2948",
    ),
]


# One-time fee when the service starts, tax included, by kind: the installation of an internet
# line is included in the plan; a SIM card's issue costs the usual ¥440.
INITIAL_FEES = {PlanKind.INTERNET: "0", PlanKind.SIM: "440"}

# SIM plans without voice (no phone number to keep or transfer).
DATA_ONLY = frozenset({"sim-data-3gb", "sim-data-20gb"})


def upsert_plans() -> dict[str, Plan]:
    """Create or update every plan of `PLANS`, in that order; safe to run again."""
    plans = {}
    for position, (code, kind, name, name_ja, text, text_ja, price) in enumerate(PLANS):
        plan, _ = Plan.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "name_ja": name_ja,
                "description": text,
                "description_ja": text_ja,
                "monthly_price": Decimal(price),
                "initial_fee": Decimal(INITIAL_FEES[kind]),
                "data_only": code in DATA_ONLY,
                "active": True,
                "position": position,
            },
        )
        plans[code] = plan
    return plans
