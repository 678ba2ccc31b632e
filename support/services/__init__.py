"""Support's writes: staff actions on a reader's billing and access, and a reader leaving.
Each composes the services of the apps below (docs/architecture.md, "Layers")."""

from billing.models import SUPPORT_MAX_DAYS
from support.services.account_deletion import user_delete_account
from support.services.actions import (
    support_cancel,
    support_end_pause,
    support_extend_trial,
    support_grant,
    support_refund_last_payment,
    support_resume,
    support_resync,
    support_revoke_grants,
)

__all__ = [
    "SUPPORT_MAX_DAYS",
    "support_cancel",
    "support_end_pause",
    "support_extend_trial",
    "support_grant",
    "support_refund_last_payment",
    "support_resume",
    "support_resync",
    "support_revoke_grants",
    "user_delete_account",
]
