"""The reasons, brands and locales a run asks for, checked against what the deployed trigger knows (the stack's
MessageCatalog output, written at synth from the deployment's own messages: the CLI checks the deployment, not the
checkout). An unknown reason or brand would silently send every user the generic wording or another brand: refused,
with the known ones. An unknown locale is a warning naming what users get instead. A stack deployed before it
published its catalog is not checked, and the CLI says so.

The options' values are the operator's own and are quoted; a manifest's cells are never quoted (a shifted column can
put anyone's identifier there): their findings name the line and the field."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cognito_reset.manifest import Finding, ManifestCheck
from cognito_reset.stack import OperatorError, StackResources
from contracts import stack as outputs
from contracts.bulk import request_from_row
from message_tooling.catalog import MessageCatalog, MessageCatalogError

CHECKED = ("reason", "brand", "locale")


@dataclass(frozen=True, slots=True)
class ValueFindings:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def deployment_catalog(resources: StackResources) -> MessageCatalog | None:
    """The deployment's catalog; None for a stack that publishes none."""
    text = resources.outputs.get(outputs.MESSAGE_CATALOG)
    if not text:
        return None
    try:
        return MessageCatalog.from_output(text)
    except MessageCatalogError as error:
        raise OperatorError(f"the stack's {outputs.MESSAGE_CATALOG} output cannot be read: {error}") from error


def option_findings(catalog: MessageCatalog, metadata: Mapping[str, Any]) -> ValueFindings:
    """--reason, --brand and --locale (the run's defaults, or one request's), quoted in what is said."""
    found = ValueFindings()
    for key in CHECKED:
        value = metadata.get(key)
        if not isinstance(value, str) or not value:
            continue
        if key == "locale":
            warning = catalog.locale_warning(value)
            found.warnings.extend([f"--{warning}"] if warning else [])
            continue
        problem = catalog.reason_problem(value) if key == "reason" else catalog.brand_problem(value)
        found.errors.extend([f"--{problem}"] if problem else [])
    return found


def row_findings(catalog: MessageCatalog, check: ManifestCheck) -> tuple[list[Finding], list[Finding]]:
    """Every row's own reason, brand and locale (a column, or its clientMetadata object), by line; never quoted."""
    errors: list[Finding] = []
    warnings: list[Finding] = []
    for line, row in zip(check.source_lines, _rows(check.normalized), strict=False):
        request = request_from_row(row)
        metadata = request.get("clientMetadata") if isinstance(request, Mapping) else None
        if not isinstance(metadata, Mapping):
            continue
        reason, brand, locale = (metadata.get(key) for key in CHECKED)
        if isinstance(reason, str) and catalog.reason_problem(reason):
            errors.append(Finding(line, f"reason: not one the deployed trigger knows ({', '.join(catalog.reasons)})"))
        if isinstance(brand, str) and catalog.brand_problem(brand):
            errors.append(Finding(line, f"brand: not one the deployed trigger knows ({', '.join(catalog.brands)})"))
        if isinstance(locale, str) and catalog.locale_warning(locale):
            warnings.append(
                Finding(
                    line,
                    "locale: the deployed trigger has no messages in that language: the user gets their own locale "
                    f"attribute's language, else the default ({catalog.default_locale})",
                )
            )
    return errors, warnings


def _rows(normalized: bytes) -> Iterable[Any]:
    for line in normalized.decode("utf-8").splitlines():
        if line.strip():
            yield json.loads(line)
