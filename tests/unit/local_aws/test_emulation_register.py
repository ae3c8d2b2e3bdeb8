"""The register of the emulation's rules (docs/local-emulation.md, "The rules") holds: every rule names the module that
plays it and the tests that check it, those files exist, and each document the rule quotes by title is quoted in the
module that plays it and in one of its tests. Every module of local_aws/emulation/ plays at least one rule. A rule added
to the page without its citing test, or a module that stops naming its document, fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[3]
EMULATION = ROOT / "local_aws" / "emulation"
PAGE = ROOT / "docs" / "local-emulation.md"
# Not rules of a service: the package's docstring, the switch that turns everything on, the register of moto patches
# (checked against the installed moto by tests/unit/local_aws/emulation/test_moto_patches.py).
NOT_A_SERVICE = {"__init__.py", "emulated.py", "moto_patches.py"}


class Rule(NamedTuple):
    service: str
    text: str
    modules: tuple[Path, ...]
    tests: tuple[Path, ...]

    @property
    def documents(self) -> list[str]:
        return re.findall(r'"([^"]+)"', self.text)

    def __str__(self) -> str:
        return f"{self.service}: {self.text[:60]}"


def rules() -> list[Rule]:
    section = PAGE.read_text(encoding="utf-8").split("## The rules", 1)[1].split("\n## ", 1)[0]
    found = []
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith(("| Service", "|---")):
            continue
        service, text, played, tests = (cell.strip() for cell in line.strip().strip("|").split(" | "))
        named = (name.split()[0] for name in re.findall(r"`([^`]+\.py)`", played))
        modules = tuple(ROOT / name if name.startswith("local_aws/") else EMULATION / name for name in named)
        found.append(Rule(service, text, modules, tuple(ROOT / name for name in re.findall(r"`(tests/[^`]+)`", tests))))
    return found


RULES = rules()


def test_the_page_lists_rules() -> None:
    assert len(RULES) >= 20


@pytest.mark.parametrize("rule", RULES, ids=str)
def test_each_rule_names_a_module_that_plays_it_and_tests_that_exist(rule: Rule) -> None:
    assert rule.modules, "no module named"
    assert rule.tests, "no test named (write the paths; 'same' is not a test)"
    for path in (*rule.modules, *rule.tests):
        assert path.exists(), f"{path.relative_to(ROOT)} does not exist"


@pytest.mark.parametrize("rule", [rule for rule in RULES if rule.documents], ids=str)
def test_each_document_a_rule_quotes_is_cited_by_its_module_and_one_of_its_tests(rule: Rule) -> None:
    for document in rule.documents:
        assert any(document in _words(module) for module in rule.modules), (
            f'"{document}" is cited by none of {[m.name for m in rule.modules]}'
        )
        citing = [test for test in rule.tests if test.is_file() and document in _words(test)]
        assert citing, f'"{document}" is cited by none of the rule\'s tests'


def _words(path: Path) -> str:
    """The file's text with every run of white space (a title broken over lines or comments) as one space."""
    return " ".join(path.read_text(encoding="utf-8").replace("#", " ").split())


def test_every_module_of_the_emulation_plays_a_rule_on_the_page() -> None:
    played = {module.name for rule in RULES for module in rule.modules}
    modules = {path.name for path in EMULATION.glob("*.py")} - NOT_A_SERVICE
    assert modules - played == set()
