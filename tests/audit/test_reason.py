""" "A reason is required": one rule (audit.services) for every action a person takes on a
reader, whether it comes through a service or the admin's confirmation form."""

from __future__ import annotations

import pytest

from audit.services import REASON_REQUIRED, audit_reason_checked
from billing.forms import SupportActionForm
from config.errors import ApplicationError


@pytest.mark.parametrize("blank", ["", " ", "\n\t "])
def test_a_blank_reason_is_refused(blank):
    with pytest.raises(ApplicationError) as refused:
        audit_reason_checked(reason=blank)

    assert refused.value.code == "reason_required"
    assert refused.value.detail == REASON_REQUIRED
    assert refused.value.fields == {"reason": ["This field is required."]}


def test_a_reason_is_kept_without_its_surrounding_blanks():
    assert audit_reason_checked(reason="  reader phoned \n") == "reader phoned"


@pytest.mark.parametrize("blank", ["", "   "])
def test_the_confirmation_form_refuses_a_blank_reason_in_the_same_words(blank):
    form = SupportActionForm({"reason": blank, "confirm": "on"})

    assert not form.is_valid()
    assert form.errors["reason"] == [REASON_REQUIRED]
