"""The household and local-setting GraphQL documents that several API modules send."""

from __future__ import annotations

from typing import Any

SRC = "昆明市民政局关于调整城乡低保标准的通知(测试用示例,非正式文件)"

ERRORS = "userErrors { field message code }"
HOUSEHOLD = """id version area incomeClass county { code name level }
    members { idNumber name relation birthDate sex age(asOf: "2024-06-01") labourCapacity }
    income { kind monthlyAmount member regular } expenses { kind monthlyAmount member }
    assets { kind value description } propertyWithinLocalRules notes document
    memberHistory { idNumber active removedAt } createdAt updatedAt"""
UPDATE = f"""mutation($id: ID!, $input: HouseholdInput!, $v: Int) {{
    updateHousehold(id: $id, input: $input, expectedVersion: $v) {{
        household {{ {HOUSEHOLD} }} {ERRORS} }} }}"""
SET = f"""mutation($input: SetLocalParameterInput!) {{ setLocalParameter(input: $input) {{
    setting {{ id jurisdiction {{ code }} path value effectiveFrom until source setBy }}
    auditEntry {{ user role path oldValue oldOrigin newValue source jurisdiction {{ code }} }}
    parameter {{ path value isSet layer {{ code kind origin }} source {{ title }} }}
    {ERRORS} }} }}"""
GET = f"query($id: ID!) {{ household(id: $id) {{ {HOUSEHOLD} }} }}"


def set_input(code: str, path: str, value: Any, start: str = "2024-01-01") -> dict[str, Any]:
    return {
        "input": {
            "jurisdiction": code,
            "path": path,
            "value": value,
            "effectiveFrom": start,
            "source": SRC,
        }
    }
