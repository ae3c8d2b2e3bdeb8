"""The MessageCatalog output: the reasons, brands and locales the deployed trigger knows, for the operator CLI."""

from __future__ import annotations

from contracts.stack import MESSAGE_CATALOG
from message_tooling.catalog import BUILT_IN, MessageCatalog, catalog_of
from tests.infra.conftest import Synthesized


def published(synthesized: Synthesized) -> MessageCatalog:
    output = synthesized.template["Outputs"][MESSAGE_CATALOG]
    assert output["Description"]
    assert isinstance(output["Value"], str)  # a literal, known at synth: no intrinsic to resolve
    return MessageCatalog.from_output(output["Value"])


def test_the_stack_publishes_the_built_in_catalog_under_its_defaults(new_pool: Synthesized) -> None:
    catalog = published(new_pool)

    assert catalog == catalog_of(BUILT_IN, "en", None)  # the shipped cdk.json: defaultLocale en, no defaultBrand
    assert "security_incident" in catalog.reasons
    assert catalog.reason_problem("securty_incident") is not None
