"""The trigger's templates compiled when its bundle is built: the Python source Jinja2 generates for every template,
written into the bundle's `custom_message/compiled_templates/`, where the trigger's loader finds it (see
functions/custom_message/templates.py, `PrecompiledTemplates`). Generated files belong to the build: none of them is
in git, and locally and in tests the templates compile from source.

No CDK here: the benchmark builds the same directory to measure what Lambda runs.
"""

from __future__ import annotations

from pathlib import Path

from custom_message.message_pack import merge
from custom_message.templates import (
    COMPILED_SUFFIX,
    TEMPLATES_DIR,
    VARIANTS_FILE,
    TemplateLibrary,
    compiled_file_stem,
    compiled_header_prefix,
    variants_listing,
)

# Where the bundle holds the trigger's package, and the compiled templates in it (the loader's default, COMPILED_DIR).
PACKAGE = Path("custom_message")
COMPILED_IN_BUNDLE = PACKAGE / "compiled_templates"


def compile_templates(target: Path, templates: str = TEMPLATES_DIR) -> int:
    """Write every template's generated source into `target`, each file headed by the Jinja2 version and the SHA-1 of
    the source it was generated from; returns how many were written."""
    library = TemplateLibrary(templates, compiled=None)
    target.mkdir(parents=True, exist_ok=True)
    names = library.template_names()
    for name in names:
        checksum, source = library.generated_source(name)
        text = f"{compiled_header_prefix(checksum)}{name}\n{source}\n"
        (target / f"{compiled_file_stem(name)}{COMPILED_SUFFIX}").write_text(text, encoding="utf-8", newline="\n")
    (target / VARIANTS_FILE).write_text(variants_listing(library.variants()), encoding="utf-8", newline="\n")
    return len(names)


def compile_into_bundle(bundle: Path) -> None:
    """The bundling step of the trigger's asset (infra/custom_message.py)."""
    compile_templates(bundle / COMPILED_IN_BUNDLE, templates=str(bundle / PACKAGE / "templates"))


def overlay_and_compile(pack: Path, bundle: Path) -> None:
    """The bundling step with a message pack: the pack merged over the bundle's built-in messages, then compiled."""
    merge(pack, bundle / PACKAGE)
    compile_into_bundle(bundle)
