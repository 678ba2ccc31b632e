"""Customer tax IDs: create (type, value; the value's format checked for the types a
paywall meets), list, retrieve, delete; their verification; the customer.tax_id.* events.

Sources: [TAX-IDS] billing/customer/tax-ids, [TAXID-API] api/tax_ids. The formats are
those of Stripe's table of examples (DE123456789, FRAB123456789, GB123456789,
CHE-123.456.789 MWST, 123456789MVA, 12345678912); other types are stored unchecked.

Verification (emulator rule): Stripe checks eu_vat (VIES), gb_vat (HMRC) and au_abn
(ABR) asynchronously: the create answer says `pending`, and in the same request the
emulator then settles it (`customer.tax_id.updated`): a number `123456710` (au_abn
`12345678910`) is `unverified`, `111111111` (au_abn `11111111111`) `unavailable`, any
other `verified`. Other types are `unavailable` at once.
"""

from __future__ import annotations

import re
from typing import Any

from stripe_emulator.errors import invalid, no_such
from stripe_emulator.params import SCALAR, ListOf, get_enum, get_str
from stripe_emulator.store import State, list_object, new_id, paginate
from stripe_emulator.tax import check_customer_location

from .base import PAGE, Context, route
from .skeletons import fill

_TYPES_TEXT = """
ad_nrt ae_trn al_tin am_tin ao_tin ar_cuit au_abn au_acn au_arn au_wpn aw_tin az_tin
ba_tin bb_tin bd_bin bf_ifu bg_uic bh_vat bj_ifu bo_tin br_cnpj br_cpf bs_tin bw_vat
by_tin ca_bn ca_gst_hst ca_pst_bc ca_pst_mb ca_pst_sk ca_qst cd_nif ch_uid ch_vat
ci_vat cl_tin cm_niu cn_tin co_nit cr_tin cv_nif cz_dic de_stn do_rcn ec_ruc eg_tin
es_cif et_tin eu_oss_vat eu_vat fo_vat fr_siren fr_siret fr_spi gb_vat ge_vat gh_tin
gi_tin gn_nif hk_br hr_oib hu_tin ic_nif id_npwp il_vat in_gst is_kt is_vat it_cf jp_cn
jp_rn jp_trn ke_pin kg_tin kh_tin kr_brn kz_bin la_tin li_uid li_vat lk_vat ma_vat
md_cf md_vat me_pib mk_vat mr_nif mu_vat mx_rfc my_frp my_itn my_sst mz_nuit ng_tin
no_vat no_voec np_pan nz_bn nz_gst om_vat pe_ruc ph_tin pl_nip pt_nif py_ruc ro_tin
rs_pib ru_inn ru_kpp sa_vat sg_gst sg_uen si_tin sm_coe sn_ninea sr_fin sv_nit th_vat
tj_tin tr_tin tt_bir tt_vat tw_vat tz_vat ua_vat ug_tin us_ein uy_ruc uz_tin uz_vat
ve_rif vn_tin za_vat zm_tin zw_tin
"""
TYPES = tuple(_TYPES_TEXT.split())  # the SDK's tax ID types (CustomerCreateTaxIdParams)
# eu_vat: the number after the country prefix (EL is Greece, XI Northern Ireland).
EU_VAT = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}
FORMATS = {
    "gb_vat": r"GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})",
    "ch_vat": r"CHE-\d{3}\.\d{3}\.\d{3} (MWST|TVA|IVA)",
    "ch_uid": r"CHE-\d{3}\.\d{3}\.\d{3}",
    "no_vat": r"\d{9}MVA",
    "au_abn": r"\d{11}",
}
COUNTRY = {"gb_vat": "GB", "ch_vat": "CH", "ch_uid": "CH", "no_vat": "NO", "au_abn": "AU"}
VERIFIED_TYPES = ("eu_vat", "gb_vat", "au_abn")
OUTCOMES = {"123456710": "unverified", "111111111": "unavailable"}
ABN_OUTCOMES = {"12345678910": "unverified", "11111111111": "unavailable"}
TAX_ID_DATA = ListOf({"type": SCALAR, "value": SCALAR})


def check_value(kind: str, value: str, param: str = "value") -> str | None:
    """The tax ID's country, or Stripe's `tax_id_invalid` for a malformed value."""
    text = value.strip().upper()
    if kind == "eu_vat":
        prefix, number = text[:2], text[2:]
        if prefix in EU_VAT and re.fullmatch(EU_VAT[prefix], number):
            return {"EL": "GR", "XI": "GB"}.get(prefix, prefix)
    elif kind in FORMATS:
        if re.fullmatch(FORMATS[kind], text):
            return COUNTRY[kind]
    else:
        return kind.split("_", 1)[0].upper()
    raise invalid(f"Invalid value for {kind}.", param=param, code="tax_id_invalid")


def parse_tax_id(params: dict[str, Any], prefix: str = "") -> tuple[str, str, str | None]:
    """(type, value, country) of a tax ID to create, validated."""
    names = {k: f"{prefix}[{k}]" if prefix else k for k in ("type", "value")}
    kind = get_enum(params, "type", TYPES, name=names["type"], required=True)
    value = get_str(params, "value", name=names["value"], required=True)
    return kind or "", value or "", check_value(kind or "", value or "", names["value"])


def check_customer_tax(ctx: Context, customer: dict[str, Any] | None, params: dict[str, Any]):
    """A customer create's or update's tax parameters, validated before anything changes:
    `tax[validate_location]` and `tax_id_data` (returned, parsed)."""
    check_customer_location(ctx, customer, params)
    get_enum(params, "tax_exempt", ("none", "exempt", "reverse"))
    data = params.get("tax_id_data") or []
    return [parse_tax_id(d, f"tax_id_data[{i}]") for i, d in enumerate(data)]


def apply_customer_tax(ctx: Context, customer: dict[str, Any], params, tax_ids=()) -> None:
    """`tax[ip_address]` kept; the tax IDs of `tax_id_data` created."""
    if "ip_address" in (params.get("tax") or {}):
        customer["_tax_ip"] = params["tax"]["ip_address"] or None
    for kind, value, country in tax_ids:
        create_tax_id(ctx, customer, kind, value, country)


def create_tax_id(ctx: Context, customer: dict[str, Any], kind: str, value: str, country):
    """A new tax ID (verification pending), then its verification settled."""
    tax_id = fill(
        "tax_id",
        {
            "id": new_id("txi"),
            "country": country,
            "created": ctx.now(customer),
            "customer": customer["id"],
            "owner": {
                "account": None,
                "application": None,
                "customer": customer["id"],
                "customer_account": None,
                "type": "customer",
            },
            "type": kind,
            "value": value,
            "verification": _verification("pending" if kind in VERIFIED_TYPES else "unavailable"),
        },
    )
    ctx.insert(tax_id)
    ctx.emit("customer.tax_id.created", tax_id)
    answer = ctx.render(tax_id)
    if kind in VERIFIED_TYPES:
        before = ctx.render(tax_id)
        number = re.sub(r"^[A-Z]{2}", "", value.strip().upper())
        status = (ABN_OUTCOMES if kind == "au_abn" else OUTCOMES).get(number, "verified")
        tax_id["verification"] = _verification(status)
        ctx.emit("customer.tax_id.updated", tax_id, before)
    return answer


def _verification(status: str) -> dict[str, Any]:
    return {"status": status, "verified_address": None, "verified_name": None}


def customer_tax_ids(state: State, customer_id: str) -> list[dict[str, Any]]:
    return [
        state.render(t)
        for t in state.all("tax_id")
        if t["customer"] == customer_id and not t.get("_deleted")
    ]


def _tax_id(ctx: Context, customer: dict[str, Any], tax_id_id: str) -> dict[str, Any]:
    tax_id = ctx.state.find("tax_id", tax_id_id)
    if tax_id is None or tax_id.get("_deleted") or tax_id["customer"] != customer["id"]:
        raise no_such("tax_id", tax_id_id, param="id")
    return tax_id


@route("POST", "/v1/customers/{id}/tax_ids", {"type": SCALAR, "value": SCALAR})
def customer_tax_id_create(ctx: Context, params: dict[str, Any], id: str):
    customer = ctx.get("customer", id)
    return create_tax_id(ctx, customer, *parse_tax_id(params))


@route("GET", "/v1/customers/{id}/tax_ids", PAGE)
def customer_tax_id_list(ctx: Context, params: dict[str, Any], id: str):
    customer = ctx.get("customer", id)
    objs = [
        t
        for t in ctx.state.all("tax_id")
        if t["customer"] == customer["id"] and not t.get("_deleted")
    ]
    return paginate(ctx.state, objs, params, f"/v1/customers/{id}/tax_ids", "tax_id")


@route("GET", "/v1/customers/{id}/tax_ids/{tax_id}")
def customer_tax_id_retrieve(ctx: Context, params: dict[str, Any], id: str, tax_id: str):
    return ctx.render(_tax_id(ctx, ctx.get("customer", id), tax_id))


@route("DELETE", "/v1/customers/{id}/tax_ids/{tax_id}")
def customer_tax_id_delete(ctx: Context, params: dict[str, Any], id: str, tax_id: str):
    obj = _tax_id(ctx, ctx.get("customer", id), tax_id)
    ctx.emit("customer.tax_id.deleted", obj)
    obj["_deleted"] = True
    return {"id": obj["id"], "object": "tax_id", "deleted": True}


def tax_id_list(state: State, customer_id: str) -> dict[str, Any]:
    """`customer.tax_ids`: the customer's tax IDs, as a list object."""
    data = customer_tax_ids(state, customer_id)
    return list_object(data, f"/v1/customers/{customer_id}/tax_ids")
