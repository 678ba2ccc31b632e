"""Tax rates (as Stripe Tax creates them) and customer tax IDs."""

from __future__ import annotations

from typing import Any

SKELETONS: dict[str, dict[str, Any]] = {
    "tax_rate": {
        "id": None,
        "object": "tax_rate",
        "active": True,
        "country": None,
        "created": None,
        "description": None,
        "display_name": "VAT",
        "effective_percentage": None,
        "flat_amount": None,
        "inclusive": False,
        "jurisdiction": None,
        "jurisdiction_level": "country",
        "livemode": False,
        "metadata": {},
        "percentage": None,
        "rate_type": "percentage",
        "state": None,
        "tax_type": "vat",
    },
    "tax_id": {
        "id": None,
        "object": "tax_id",
        "country": None,
        "created": None,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "owner": None,
        "type": None,
        "value": None,
        "verification": None,
    },
}
