"""The messagePack setting: the deployer's directory merged over the built-in messages, checked at synth (a broken
pack stops synth naming the file), and built into the trigger's bundle, compiled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.stack import MESSAGE_CATALOG
from infra import custom_message
from infra.bundling import assemble_code
from infra.settings import APP_DIRECTORY
from message_tooling.catalog import MessageCatalog
from message_tooling.message_pack import MessagePackError
from tests.infra.conftest import Synthesized, named_settings, render, synthesize

EXAMPLE_PACK = "examples/message-pack"
TRIGGER = "CustomMessage/CustomMessage/Function"


@pytest.fixture(scope="module")
def with_pack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("message-pack"), messagePack=EXAMPLE_PACK)


def test_a_relative_pack_is_relative_to_the_cdk_app() -> None:
    settings = named_settings({"messagePack": EXAMPLE_PACK})
    assert settings.message_pack_path == APP_DIRECTORY / "examples" / "message-pack"
    assert named_settings({}).message_pack_path is None


def test_a_pack_changes_the_triggers_code_and_nothing_else(with_pack: Synthesized, new_pool: Synthesized) -> None:
    ours, shipped = with_pack.properties(TRIGGER), new_pool.properties(TRIGGER)
    assert render(ours["Code"]) != render(shipped["Code"])
    assert ours["Environment"] == shipped["Environment"]


def test_the_published_catalog_holds_the_pack_s_brands(with_pack: Synthesized) -> None:
    catalog = MessageCatalog.from_output(with_pack.template["Outputs"][MESSAGE_CATALOG]["Value"])

    assert catalog.brands == ("acme", "default", "globex")
    assert catalog.brand_problem("globex") is None


def test_a_broken_pack_stops_synth_naming_the_file(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    sms = pack / "en" / "forgot_password" / "security_incident" / "sms.txt"
    sms.parent.mkdir(parents=True)
    sms.write_text("Your password was reset.", encoding="utf-8")

    with pytest.raises(
        MessagePackError, match=r"en/forgot_password/security_incident/sms\.txt: does not contain the code"
    ):
        synthesize(tmp_path / "out", messagePack=str(pack))


def test_a_missing_pack_stops_synth(tmp_path: Path) -> None:
    with pytest.raises(MessagePackError, match="is not a directory"):
        synthesize(tmp_path / "out", messagePack=str(tmp_path / "nowhere"))


def test_the_bundle_holds_the_merged_messages_compiled(tmp_path: Path) -> None:
    pack = APP_DIRECTORY / EXAMPLE_PACK
    source = custom_message.trigger_source(pack)
    assert source.asset_hash() != custom_message.SOURCE.asset_hash()

    assemble_code(source, tmp_path, bytecode=False)

    package = tmp_path / "custom_message"
    sms = "en/forgot_password/security_incident/sms.txt"
    assert (package / "templates" / sms).read_text() == (pack / sms).read_text()
    assert "globex" in json.loads((package / "brands.json").read_text())["brands"]
    assert not (package / "message_pack.py").exists()
    assert not (package / "logos").exists()  # copies for the preview and the local outbox only
    templates = [path for path in (package / "templates").rglob("*") if path.suffix in {".html", ".txt"}]
    assert len(list((package / "compiled_templates").glob("*.j2py"))) == len(templates)
