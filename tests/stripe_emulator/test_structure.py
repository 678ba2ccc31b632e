"""The emulator's structure, checked: one module per Stripe resource, a lifecycle the
handlers and the scheduler share, no private names imported across modules, nothing
of the project imported, short modules, and object skeletons that are the SDK's shapes.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import stripe  # noqa: TID251 - the skeleton check reads the SDK's declarations

from stripe_emulator.resources.skeletons import SKELETONS, fill

PACKAGE = Path(__file__).resolve().parents[2] / "stripe_emulator"
SOURCES = sorted(PACKAGE.rglob("*.py"))

RESOURCES = [
    "customers",
    "products",
    "prices",
    "subscriptions",
    "subscription_items",
    "invoices",
    "invoice_items",
    "payment_intents",
    "setup_intents",
    "payment_methods",
    "charges",
    "refunds",
    "events",
    "webhook_endpoints",
    "test_clocks",
    "coupons",
    "promotion_codes",
    "discounts",
    "tax_ids",
    "tax_rates",
]
MAX_LINES = 450  # "about 400"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_imports(source: str) -> list[str]:
    """`from x import _name`, and `module._name` on a module imported by name."""
    tree = ast.parse(source)
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"from {'.' * node.level}{node.module or ''} import {alias.name}")
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules.update((a.asname or a.name).split(".")[0] for a in node.names)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_each_stripe_resource_has_its_own_module():
    resources = PACKAGE / "resources"
    assert [name for name in RESOURCES if not (resources / f"{name}.py").is_file()] == []
    assert not (resources / "misc.py").exists()
    assert not (resources / "payments.py").exists()


@pytest.mark.parametrize("path", SOURCES, ids=module_name)
def test_no_private_name_is_imported_across_modules(path):
    assert private_imports(path.read_text()) == []


def test_the_private_import_check_itself_catches_one():
    source = "from .resources.subscriptions import _price_of, cancel_now\nfrom . import store\n"
    source += "store._ALPHABET\n"
    assert private_imports(source) == [
        "from .resources.subscriptions import _price_of",
        "store._ALPHABET",
    ]


@pytest.mark.parametrize("path", SOURCES, ids=module_name)
def test_the_emulator_imports_nothing_of_the_project(path):
    """The standard library and itself only (the pytest plugin also pytest and, for its
    client, the SDK)."""
    allowed = set(sys.stdlib_module_names) | {"stripe_emulator"}
    if path.name == "pytest_plugin.py":
        allowed |= {"pytest", "stripe"}
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert sorted(imported - allowed) == []


@pytest.mark.parametrize("path", SOURCES, ids=module_name)
def test_no_module_is_longer_than_about_400_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_the_scheduler_runs_the_lifecycle_that_the_handlers_call():
    from stripe_emulator.resources import customers, subscriptions
    from stripe_emulator.scheduler import ACTIONS

    assert {f.__module__.rsplit(".", 1)[0] for f in ACTIONS.values()} == {
        "stripe_emulator.lifecycle"
    }
    # The same functions serve requests: a deleted customer, a canceled subscription,
    # an update ending a trial now.
    assert customers.cancel_now is subscriptions.cancel_now
    assert subscriptions.end_trial.__module__ == "stripe_emulator.lifecycle.trial"
    assert subscriptions.cancel_now.__module__ == "stripe_emulator.lifecycle.cancellation"


@pytest.mark.parametrize(
    "module",
    [module_name(p) for p in SOURCES if p.name != "__main__.py"],
)
def test_every_module_can_be_imported_first(module):
    """No import cycle depends on which module a process happens to import first."""
    result = subprocess.run(  # noqa: S603 - our interpreter, a module name from the tree
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# -- skeletons: the SDK's shapes, as data ------------------------------------------------

SDK = {
    "customer": stripe.Customer,
    "product": stripe.Product,
    "price": stripe.Price,
    "plan": stripe.Plan,
    "subscription": stripe.Subscription,
    "subscription_item": stripe.SubscriptionItem,
    "invoice": stripe.Invoice,
    "line_item": stripe.InvoiceLineItem,
    "invoiceitem": stripe.InvoiceItem,
    "invoice_payment": stripe.InvoicePayment,
    "webhook_endpoint": stripe.WebhookEndpoint,
    "test_clock": stripe.test_helpers.TestClock,
    "payment_method": stripe.PaymentMethod,
    "setup_intent": stripe.SetupIntent,
    "setup_intent_next_action": stripe.SetupIntent.NextAction,
    "payment_intent": stripe.PaymentIntent,
    "payment_intent_next_action": stripe.PaymentIntent.NextAction,
    "payment_error": stripe.PaymentIntent.LastPaymentError,
    "charge": stripe.Charge,
    "charge_payment_method_details": stripe.Charge.PaymentMethodDetails,
    "charge_card_details": stripe.Charge.PaymentMethodDetails.Card,
    "refund": stripe.Refund,
    "coupon": stripe.Coupon,
    "promotion_code": stripe.PromotionCode,
    "discount": stripe.Discount,
    "tax_rate": stripe.TaxRate,
    "tax_id": stripe.TaxId,
}
# Declared fields a skeleton leaves out: `deleted` is only on deleted objects; the
# others are assembled when the object is rendered (store.State.render's hooks) or, like
# a price's `currency_options`, only when expanded (the store's `include` hook).
RENDERED = {
    "customer": {"sources", "subscriptions", "tax_ids"},
    "price": {"currency_options"},
    "subscription_item": {"plan", "price"},
}


def declared(cls: type) -> list[str]:
    fields: dict[str, object] = {}
    for klass in reversed(cls.__mro__):
        fields.update(getattr(klass, "__annotations__", {}))
    remap = getattr(cls, "_field_remappings", {})
    return [remap.get(n, n) for n in fields if not n.startswith("_") and n != "OBJECT_NAME"]


def test_every_skeleton_is_checked():
    assert sorted(SKELETONS) == sorted(SDK)


@pytest.mark.parametrize("kind", sorted(SDK))
def test_a_skeleton_has_exactly_the_fields_the_sdk_declares(kind):
    fields = declared(SDK[kind])
    assert fields, "the SDK declares no fields: the check would be empty"
    skeleton = SKELETONS[kind]
    missing = set(fields) - set(skeleton) - {"deleted"} - RENDERED.get(kind, set())
    assert sorted(missing) == []
    assert sorted(set(skeleton) - set(fields)) == []


def test_a_builder_cannot_set_a_field_the_skeleton_lacks():
    refund = fill("refund", {"id": "re_1", "amount": 100, "_internal": True})
    assert refund["amount"] == 100
    assert refund["status"] == "succeeded"
    with pytest.raises(KeyError, match="colour"):
        fill("refund", {"colour": "red"})
    assert "_internal" not in SKELETONS["refund"]
