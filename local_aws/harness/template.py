"""CloudFormation's intrinsic functions, resolved in a synthesized template: one resolver for the local account and
for the infrastructure tests, which differ in what a reference stands for (and so in what can be computed from it).

The local account resolves `Ref` and `Fn::GetAtt` to the physical ids and ARNs it provisioned (`physical`); the
infrastructure tests render them as readable placeholders, "${LogicalId}" and "${LogicalId.Attribute}"
(`placeholders`), so that an assertion reads like the template. Intrinsic functions: AWS CloudFormation User Guide,
"Intrinsic function reference"; pseudo parameters: "Get AWS values using pseudo parameters".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Intrinsic(StrEnum):
    """The intrinsic functions the resolver knows: those CDK emits in this stack's template."""

    REF = "Ref"
    GET_ATT = "Fn::GetAtt"
    JOIN = "Fn::Join"
    SUB = "Fn::Sub"
    SELECT = "Fn::Select"
    SPLIT = "Fn::Split"


# "${Name}" and "${Name.Attribute}"; "${!Literal}" stands for the text "${Literal}".
_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]+)\}")


def pseudo_parameters(*, region: str, account_id: str) -> dict[str, str]:
    """The values `Ref` gives the pseudo parameters CDK emits, in an account and Region of the aws partition."""
    return {
        "AWS::Partition": "aws",
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::URLSuffix": "amazonaws.com",
    }


@dataclass(frozen=True)
class TemplateResolver:
    """Resolves the intrinsic functions named in `evaluated` wherever they occur in a value; every other mapping,
    list and scalar is kept as it is (its contents resolved)."""

    ref: Callable[[str], Any]  # a logical id or pseudo parameter
    get_att: Callable[[str, str], Any]  # a logical id and an attribute name
    evaluated: frozenset[str] = frozenset(Intrinsic)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name in self.evaluated:
                return self._intrinsic(name, argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _intrinsic(self, name: str, argument: Any) -> Any:
        if name == Intrinsic.REF:
            return self.ref(argument)
        if name == Intrinsic.GET_ATT:
            logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return self.get_att(logical_id, attribute)
        if name == Intrinsic.JOIN:
            separator, parts = argument
            resolved = (self.resolve(part) for part in parts)
            return separator.join(part if isinstance(part, str) else json.dumps(part) for part in resolved)
        if name == Intrinsic.SUB:
            return self._sub(*([argument, {}] if isinstance(argument, str) else argument))
        if name == Intrinsic.SELECT:
            index, items = argument
            return self.resolve(items)[int(index)]
        separator, source = argument  # Intrinsic.SPLIT
        return str(self.resolve(source)).split(separator)

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        resolved = {key: self.resolve(item) for key, item in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            literal, name = match.groups()
            if literal:
                return "${" + name + "}"
            if name in resolved:
                return str(resolved[name])
            logical_id, dot, attribute = name.partition(".")
            return str(self.get_att(logical_id, attribute) if dot else self.ref(name))

        return _SUB_VARIABLE.sub(substitute, text)


def physical(refs: Mapping[str, Any], attributes: Mapping[tuple[str, str], Any]) -> TemplateResolver:
    """References resolved to what was created: `refs` by logical id (pseudo parameters included), `attributes` by
    (logical id, attribute)."""
    return TemplateResolver(ref=refs.__getitem__, get_att=lambda logical_id, name: attributes[(logical_id, name)])


def placeholders() -> TemplateResolver:
    """References rendered as "${LogicalId}" and "${LogicalId.Attribute}" (pseudo parameters too: "${AWS::Region}"),
    and joined where the template joins them. `Fn::Sub`, `Fn::Select` and `Fn::Split` are kept as written: a
    placeholder cannot be split, and a Sub string already reads this way."""
    return TemplateResolver(
        ref=lambda name: "${" + name + "}",
        get_att=lambda logical_id, attribute: "${" + logical_id + "." + attribute + "}",
        evaluated=frozenset({Intrinsic.REF, Intrinsic.GET_ATT, Intrinsic.JOIN}),
    )
