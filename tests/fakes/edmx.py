"""JSON Schemas derived from Business Central's API v2.0 `$metadata` (EDMX / CSDL 4.0).

Each entity type becomes two schemas: what a client may send (only declared, writable properties,
the declared Edm type, `null` only where the property is nullable, enum members by name, string
lengths) and what the service returns (every declared property plus the OData annotations). The
metadata does not say which properties are computed, so READ_ONLY lists them from Microsoft's API
reference pages for each entity; everything else comes from the file.
"""

import functools
import xml.etree.ElementTree as ET  # noqa: S405 — parses the vendor's metadata file from the repo, not input
from dataclasses import dataclass

from . import SPECS_DIR

NS = {"edm": "http://docs.oasis-open.org/odata/ns/edm", "edmx": "http://docs.oasis-open.org/odata/ns/edmx"}
METADATA_FILE = "business-central-api-v2.0-metadata.xml"

GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
DATE = r"^\d{4}-\d{2}-\d{2}$"
DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"

# Computed by Business Central; a client that sends them gets 400 (Microsoft's reference marks them read-only).
READ_ONLY = {
    "customer": {"id", "balanceDue", "lastModifiedDateTime", "taxAreaDisplayName"},
    "salesInvoice": {"id", "number", "customerName", "status", "remainingAmount", "totalAmountExcludingTax",
                     "totalTaxAmount", "totalAmountIncludingTax", "discountAppliedBeforeTax", "lastModifiedDateTime",
                     "orderId", "orderNumber", "disputeStatus"},
    "salesInvoiceLine": {"id", "documentId", "amountExcludingTax", "totalTaxAmount", "amountIncludingTax",
                         "invoiceDiscountAllocation", "netAmount", "netTaxAmount", "netAmountIncludingTax",
                         "taxPercent", "discountAppliedBeforeTax"},
    "salesCreditMemo": {"id", "number", "customerName", "status", "totalAmountExcludingTax", "totalTaxAmount",
                        "totalAmountIncludingTax", "discountAppliedBeforeTax", "lastModifiedDateTime"},
    "salesCreditMemoLine": {"id", "documentId", "amountExcludingTax", "totalTaxAmount", "amountIncludingTax",
                            "invoiceDiscountAllocation", "netAmount", "netTaxAmount", "netAmountIncludingTax",
                            "taxPercent", "discountAppliedBeforeTax"},
}


@dataclass(frozen=True)
class Property:
    name: str
    edm_type: str
    nullable: bool
    max_length: int | None


@dataclass(frozen=True)
class EntityType:
    name: str
    properties: dict[str, Property]
    navigation: dict[str, tuple[str, bool]]  # name -> (target entity type, is collection)


def _decode_name(name: str) -> str:
    """EDMX escapes characters in enum member names: `In_x0020_Review` is 'In Review'."""
    out, i = [], 0
    while i < len(name):
        if name.startswith("_x", i) and name[i + 6: i + 7] == "_":
            out.append(chr(int(name[i + 2: i + 6], 16)))
            i += 7
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


@functools.cache
def metadata() -> tuple[dict[str, EntityType], dict[str, list[str]]]:
    root = ET.parse(SPECS_DIR / METADATA_FILE).getroot()  # noqa: S314 — trusted vendor file in the repo
    schema = root.find("edmx:DataServices/edm:Schema", NS)
    enums = {
        f"Microsoft.NAV.{enum.get('Name')}": [_decode_name(m.get("Name")) for m in enum.findall("edm:Member", NS)]
        for enum in schema.findall("edm:EnumType", NS)
    }
    entities = {}
    for node in schema.findall("edm:EntityType", NS):
        properties = {
            p.get("Name"): Property(p.get("Name"), p.get("Type"), p.get("Nullable", "true") != "false",
                                    int(p.get("MaxLength")) if p.get("MaxLength", "").isdigit() else None)
            for p in node.findall("edm:Property", NS)
        }
        navigation = {}
        for nav in node.findall("edm:NavigationProperty", NS):
            target = nav.get("Type")
            collection = target.startswith("Collection(")
            navigation[nav.get("Name")] = (target.removeprefix("Collection(").rstrip(")").split(".")[-1], collection)
        entities[node.get("Name")] = EntityType(node.get("Name"), properties, navigation)
    return entities, enums


def bound_actions(entity: str) -> set[str]:
    root = ET.parse(SPECS_DIR / METADATA_FILE).getroot()  # noqa: S314
    schema = root.find("edmx:DataServices/edm:Schema", NS)
    found = set()
    for action in schema.findall("edm:Action", NS):
        binding = action.find("edm:Parameter", NS)
        if action.get("IsBound") == "true" and binding is not None and binding.get("Type") == f"Microsoft.NAV.{entity}":
            found.add(action.get("Name"))
    return found


def _property_schema(prop: Property, enums: dict[str, list[str]]) -> dict:
    kind = prop.edm_type
    if kind == "Edm.String":
        schema: dict = {"type": "string"}
        if prop.max_length:
            schema["maxLength"] = prop.max_length
    elif kind == "Edm.Guid":
        schema = {"type": "string", "pattern": GUID}
    elif kind == "Edm.Decimal" or kind == "Edm.Double":
        schema = {"type": "number"}
    elif kind in {"Edm.Int32", "Edm.Int64", "Edm.Int16"}:
        schema = {"type": "integer"}
    elif kind == "Edm.Boolean":
        schema = {"type": "boolean"}
    elif kind == "Edm.Date":
        schema = {"type": "string", "pattern": DATE}
    elif kind == "Edm.DateTimeOffset":
        schema = {"type": "string", "pattern": DATETIME}
    elif kind in enums:
        schema = {"type": "string", "enum": list(enums[kind])}
    else:  # streams, complex types: opaque to the fake
        schema = {}
    if prop.nullable and "type" in schema:
        schema = {**schema, "type": [schema["type"], "null"]}
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


@functools.cache
def request_schema(entity: str, deep: tuple[str, ...] = ()) -> dict:
    """What a POST/PATCH body may contain; `deep` names navigation collections allowed for deep insert."""
    entities, enums = metadata()
    entity_type = entities[entity]
    read_only = READ_ONLY.get(entity, {"id", "lastModifiedDateTime"})
    properties = {name: _property_schema(p, enums) for name, p in entity_type.properties.items() if name not in read_only}
    for nav in deep:
        target, _ = entity_type.navigation[nav]
        properties[nav] = {"type": "array", "items": request_schema(target)}
    return {"type": "object", "properties": properties, "additionalProperties": False}


@functools.cache
def response_schema(entity: str, expanded: tuple[str, ...] = ()) -> dict:
    entities, enums = metadata()
    entity_type = entities[entity]
    properties = {name: _property_schema(p, enums) for name, p in entity_type.properties.items()}
    properties["@odata.etag"] = {"type": "string"}
    properties["@odata.context"] = {"type": "string"}
    for nav in expanded:
        target, _ = entity_type.navigation[nav]
        properties[nav] = {"type": "array", "items": response_schema(target)}
    return {"type": "object", "properties": properties, "additionalProperties": False,
            "required": sorted(entity_type.properties)}


def read_only_properties(entity: str) -> set[str]:
    return set(READ_ONLY.get(entity, {"id", "lastModifiedDateTime"}))
