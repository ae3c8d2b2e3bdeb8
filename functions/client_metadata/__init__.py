"""The ClientMetadata contract: the reset function sends it, the custom message trigger reads it.

Standard library only: the custom message trigger imports this on its cold-start path.
"""

from client_metadata.schema import (
    KNOWN_REASONS,
    MAX_KEY_LENGTH,
    MAX_KEYS,
    MAX_TOTAL_BYTES,
    MAX_VALUE_LENGTH,
    RECOGNISED_KEYS,
    Reason,
    ResetMetadata,
    is_locale_tag,
    metadata_errors,
    strip_control_characters,
)

__all__ = [
    "KNOWN_REASONS",
    "MAX_KEYS",
    "MAX_KEY_LENGTH",
    "MAX_TOTAL_BYTES",
    "MAX_VALUE_LENGTH",
    "RECOGNISED_KEYS",
    "Reason",
    "ResetMetadata",
    "is_locale_tag",
    "metadata_errors",
    "strip_control_characters",
]
