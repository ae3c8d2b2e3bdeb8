"""Writes compiled_templates/: the Python source Jinja2 generates for every template, for a faster cold start.

    python -m custom_message.precompile           (with functions/ on PYTHONPATH; ``make preview`` runs it)
    python -m custom_message.precompile --check   (exit 1 and list what is stale; the unit tests do the same)

A stale or missing file is never wrong at run time, only slower: the template is then compiled from its source.
"""

from __future__ import annotations

import argparse
import os
import sys

from custom_message.templates import (
    COMPILED_DIR,
    COMPILED_SUFFIX,
    TEMPLATES_DIR,
    TemplateLibrary,
    compiled_file_stem,
    compiled_header_prefix,
)


def expected_files(library: TemplateLibrary) -> dict[str, str]:
    """File name -> full text, for every template of ``library``."""
    files: dict[str, str] = {}
    for name in library.template_names():
        checksum, source = library.generated_source(name)
        files[compiled_file_stem(name) + COMPILED_SUFFIX] = f"{compiled_header_prefix(checksum)}{name}\n{source}\n"
    return files


def stale_files(library: TemplateLibrary, directory: str) -> list[str]:
    """Names of files that are missing, different from what would be generated, or left over."""
    expected = expected_files(library)
    present = set(_listing(directory))
    stale = sorted(set(expected) - present) + sorted(present - set(expected))
    for file_name, text in expected.items():
        if file_name in present and _read(os.path.join(directory, file_name)) != text:
            stale.append(file_name)
    return stale


def write_compiled(library: TemplateLibrary, directory: str) -> int:
    """Bring ``directory`` in line with the templates; returns how many templates it holds."""
    expected = expected_files(library)
    os.makedirs(directory, exist_ok=True)
    for file_name in set(_listing(directory)) - set(expected):
        os.remove(os.path.join(directory, file_name))
    for file_name, text in expected.items():
        path = os.path.join(directory, file_name)
        if not os.path.exists(path) or _read(path) != text:
            with open(path, "w", encoding="utf-8", newline="\n") as file:
                file.write(text)
    return len(expected)


def _listing(directory: str) -> list[str]:
    try:
        return [name for name in os.listdir(directory) if name.endswith(COMPILED_SUFFIX)]
    except FileNotFoundError:
        return []


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Precompile the custom message templates.")
    parser.add_argument("--check", action="store_true", help="list stale files and exit 1 instead of writing")
    arguments = parser.parse_args(argv)
    library = TemplateLibrary(TEMPLATES_DIR, compiled=None)
    if arguments.check:
        stale = stale_files(library, COMPILED_DIR)
        for file_name in stale:
            print(f"stale: compiled_templates/{file_name}")
        return 1 if stale else 0
    count = write_compiled(library, COMPILED_DIR)
    print(f"precompiled {count} templates into compiled_templates/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
