"""Address standardization to USPS Publication 28 abbreviations (FORMATS.md §7).

usaddress-scourgify does street addresses; it refuses PO Box and rural-route addresses, which
`usaddress.tag` still classifies, so those are written out here as USPS writes them ("PO BOX
12", "RR 2 BOX 15"). An address neither can parse is kept as typed, in capitals, and the clerk
is told it was not standardized. There is no deliverability check here: that is CASS at the
print vendor.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from core.errors import InputError, InputProblem
from core.model import Address

ZIP_PATTERN = re.compile(r"^\d{5}(-\d{4})?$")
# A mail drop or box: PO Box, private mailbox (PMB), rural route / highway contract boxes.
_BOX_PATTERN = re.compile(
    r"\b(P\.?\s*O\.?\s*BOX|POST\s+OFFICE\s+BOX|PMB|PRIVATE\s+MAIL\s*BOX|BOX\s+\d|"
    r"(RR|R\.R\.|RURAL\s+ROUTE|HC|HIGHWAY\s+CONTRACT)\s*\d)", re.IGNORECASE)


class StandardizedBy(StrEnum):
    """How an address was standardized, kept in the address history."""

    USPS = "usps"  # usaddress-scourgify, USPS Pub 28 abbreviations
    BOX = "box"  # PO Box or rural route, formatted by Meterline from usaddress tags
    AS_TYPED = "as_typed"  # neither could parse it: kept as typed, in capitals

    def describe(self) -> str:
        return {"usps": "standardized to USPS abbreviations",
                "box": "standardized as a PO Box or rural-route box",
                "as_typed": "NOT standardized (kept as typed); check it with the customer"
                }[self.value]


@dataclass(frozen=True)
class StandardAddress:
    """The address to store, how it was standardized, and whether it is a box or mail drop."""

    address: Address
    method: StandardizedBy
    is_box: bool


def looks_like_box(address: Address) -> bool:
    """A PO Box, private mailbox or rural-route box: a mail drop for the Red Flag check."""
    return bool(_BOX_PATTERN.search(f"{address.line1} {address.line2}"))


def _upper(text: str) -> str:
    return " ".join(text.replace(",", " ").split()).upper()


def check_address(address: Address, *, field: str = "address") -> None:
    """Refuse an address without a first line, city, two-letter state or ZIP."""
    problems = []
    if not address.line1.strip():
        problems.append(InputProblem("the first line is required", field=f"{field} line 1"))
    if not address.city.strip():
        problems.append(InputProblem("the city is required", field=f"{field} city"))
    state = _upper(address.state)
    if len(state) != 2 or not state.isalpha():
        problems.append(InputProblem(f"{address.state!r} is not a two-letter state",
                                     field=f"{field} state"))
    if not ZIP_PATTERN.match(address.zip.strip()):
        problems.append(InputProblem(f"{address.zip!r} is not a ZIP code (12345 or 12345-6789)",
                                     field=f"{field} ZIP"))
    if problems:
        raise InputError(problems)


def _box_line(tags: dict[str, str]) -> str:
    """USPS form of a box address: "PO BOX 12", "RR 2 BOX 15", "HC 1 BOX 5"."""
    parts = []
    group_type = tags.get("USPSBoxGroupType", "")
    if group_type:
        group = {"RURAL ROUTE": "RR", "R.R.": "RR", "HIGHWAY CONTRACT": "HC"}.get(
            _upper(group_type), _upper(group_type).replace(".", ""))
        parts.append(f"{group} {_upper(tags.get('USPSBoxGroupID', ''))}".strip())
    box_type = _upper(tags.get("USPSBoxType", ""))
    box_id = _upper(tags.get("USPSBoxID", ""))
    if box_type:
        compact = box_type.replace(".", "").replace(" ", "")
        box_word = "PO BOX" if compact in ("POBOX", "POSTOFFICEBOX") else "BOX"
        parts.append(f"{box_word} {box_id}".strip())
    return " ".join(parts)


def standardize(address: Address) -> StandardAddress:
    """The address in USPS form; PO Box and rural routes by the fallback; else as typed."""
    from scourgify import normalize_address_record  # imported when used: start-up is a budget
    from scourgify.address_constants import STATE_ABBREVIATIONS
    from scourgify.exceptions import AddressNormalizationError

    state = STATE_ABBREVIATIONS.get(_upper(address.state), _upper(address.state))
    zip_code = address.zip.strip()
    check_address(Address(address.line1, address.city, state, zip_code, address.line2))

    record = {"address_line_1": address.line1, "address_line_2": address.line2 or None,
              "city": address.city, "state": state, "postal_code": zip_code}
    try:
        clean = normalize_address_record(record)
    except AddressNormalizationError:
        clean = None
    if clean is not None:
        result = Address(line1=clean["address_line_1"] or _upper(address.line1),
                         line2=clean.get("address_line_2") or "",
                         city=clean["city"] or _upper(address.city),
                         state=clean["state"] or state,
                         zip=clean["postal_code"] or zip_code)
        return StandardAddress(result, StandardizedBy.USPS, looks_like_box(result))
    box = _box_fallback(address, state, zip_code)
    if box is not None:
        return box
    kept = Address(line1=_upper(address.line1), line2=_upper(address.line2),
                   city=_upper(address.city), state=state, zip=zip_code)
    return StandardAddress(kept, StandardizedBy.AS_TYPED, looks_like_box(kept))


def _box_fallback(address: Address, state: str, zip_code: str) -> StandardAddress | None:
    import usaddress

    text = f"{address.line1} {address.line2}".strip()
    try:
        tags, kind = usaddress.tag(text)
    except usaddress.RepeatedLabelError:
        return None
    if kind != "PO Box":
        return None
    line1 = _box_line(dict(tags))
    if not line1:
        return None
    result = Address(line1=line1, line2="", city=_upper(address.city), state=state,
                     zip=zip_code)
    return StandardAddress(result, StandardizedBy.BOX, True)


def parse_one_line(text: str, *, field: str = "address") -> Address:
    """Split "123 Main St Apt 4, Portland, OR 97201" into an Address (usaddress tags)."""
    import usaddress

    try:
        tags, _ = usaddress.tag(" ".join(text.split()))
    except usaddress.RepeatedLabelError as exc:
        raise InputError(InputProblem(f"{text!r} cannot be read as one address",
                                      field=field)) from exc
    place = {"PlaceName", "StateName", "ZipCode"}
    unit = {"OccupancyType", "OccupancyIdentifier", "SubaddressType", "SubaddressIdentifier"}
    line1 = " ".join(v for k, v in tags.items() if k not in place | unit).strip(" ,")
    line2 = " ".join(v for k, v in tags.items() if k in unit).strip(" ,")
    address = Address(line1=line1, line2=line2, city=tags.get("PlaceName", "").strip(" ,"),
                      state=tags.get("StateName", "").strip(" ,"),
                      zip=tags.get("ZipCode", "").strip(" ,"))
    if not (address.line1 and address.city and address.state and address.zip):
        raise InputError(InputProblem(f"{text!r} needs a street or box, city, state and ZIP "
                                      "(e.g. \"974 Camino Real, Portland, OR 97201\")",
                                      field=field))
    return address
