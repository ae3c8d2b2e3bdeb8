"""The trigger's templates compiled when its bundle is built: the Python source Jinja2 generates for every template,
written into the bundle's `custom_message/compiled_templates/`, where the trigger's loader finds it (see
functions/custom_message/templates.py, `PrecompiledTemplates`), and that source compiled to bytecode when the build
runs on the runtime's Python. Generated files belong to the build: none of them is in git, and locally and in tests
the templates compile from source.

No CDK here: the benchmark builds the same directory to measure what Lambda runs.
"""

from __future__ import annotations

from pathlib import Path

from custom_message.templates import (
    BYTECODE_SUFFIX,
    COMPILED_SUFFIX,
    TEMPLATES_DIR,
    VARIANTS_FILE,
    PrecompiledTemplates,
    TemplateKey,
    TemplateLibrary,
    compiled_header_prefix,
)
from message_tooling.message_pack import TEMPLATE_SUFFIXES, merge

# Where the bundle holds the trigger's package, and the compiled templates in it (the loader's default, COMPILED_DIR).
PACKAGE = Path("custom_message")
COMPILED_IN_BUNDLE = PACKAGE / "compiled_templates"


def compile_templates(target: Path, templates: str = TEMPLATES_DIR, *, bytecode: bool = False) -> int:
    """Write every template's generated source into `target`, each file headed by the Jinja2 version and the SHA-1 of
    the source it was generated from, and with `bytecode` the same code compiled for the Python running this (Jinja2's
    bytecode cache format, after the same header); returns how many templates were compiled."""
    library = TemplateLibrary(templates, compiled=None)
    environment = library.environment
    cache = PrecompiledTemplates(str(target))
    target.mkdir(parents=True, exist_ok=True)
    names = template_names(library)
    for name in names:
        source, filename, _ = environment.loader.get_source(environment, name)  # type: ignore[union-attr]
        # The bucket production's cache asks for: its key (the file name) and checksum (the source's SHA-1).
        bucket = cache.get_bucket(environment, name, filename, source)
        header = f"{compiled_header_prefix(bucket.checksum)}{name}\n"
        generated = f"{environment.compile(source, name, raw=True)}\n"
        stem = target / bucket.key
        stem.with_suffix(COMPILED_SUFFIX).write_text(header + generated, encoding="utf-8", newline="\n")
        if bytecode:
            # Named as the bundle holds it, so no path of the build ends up in the code object.
            bucket.code = compile(generated, (COMPILED_IN_BUNDLE / f"{bucket.key}{COMPILED_SUFFIX}").as_posix(), "exec")
            stem.with_suffix(BYTECODE_SUFFIX).write_bytes(header.encode("utf-8") + bucket.bytecode_to_string())
    (target / VARIANTS_FILE).write_text(variants_listing(library.variants()), encoding="utf-8", newline="\n")
    return len(names)


def template_names(library: TemplateLibrary) -> list[str]:
    """Every template file of the library, as loader names (layouts included)."""
    return sorted(library.environment.list_templates(filter_func=lambda name: name.endswith(TEMPLATE_SUFFIXES)))


def variants_listing(variants: frozenset[TemplateKey]) -> str:
    """What the loader's VARIANTS_FILE holds for these variants."""
    return "".join(f"{key.locale}/{key.message}/{key.variant}\n" for key in sorted(variants))


def compile_into_bundle(bundle: Path, bytecode: bool) -> None:
    """The bundling step of the trigger's asset (infra/custom_message.py)."""
    compile_templates(bundle / COMPILED_IN_BUNDLE, templates=str(bundle / PACKAGE / "templates"), bytecode=bytecode)


def overlay_and_compile(pack: Path, bundle: Path, bytecode: bool) -> None:
    """The bundling step with a message pack: the pack merged over the bundle's built-in messages, then compiled."""
    merge(pack, bundle / PACKAGE, logos=False)
    compile_into_bundle(bundle, bytecode)
