"""Errors for byproduct files, and the counted skip that ``--skip-bad`` asks for.

A malformed byproduct must never turn into a silently wrong target: either the error names the file and the
field, or (with ``--skip-bad``) the record is dropped, counted, and reported at the end.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

_logger = logging.getLogger(__name__)


class ByproductFormatError(ValueError):
    """A byproduct file that does not follow its format. ``path`` and ``field`` say where."""

    def __init__(self, path: str, field: str, message: str) -> None:
        super().__init__(f"{path}: field '{field}': {message}")
        self.path = path
        self.field = field
        self.message = message

    def __reduce__(self):
        # pickled when a parser process hands the error back to the main process
        return (ByproductFormatError, (self.path, self.field, self.message))


@dataclass
class SkipCounter:
    """Counts the records skipped under ``--skip-bad`` and keeps the first few reasons for the report."""

    skip_bad: bool = False
    max_examples: int = 5
    skipped: int = 0
    examples: list[str] = field(default_factory=list)

    def handle(self, error: ByproductFormatError) -> None:
        """Re-raise ``error`` unless skipping is on; otherwise count it."""
        if not self.skip_bad:
            raise error
        self.skipped += 1
        if len(self.examples) < self.max_examples:
            self.examples.append(str(error))

    def report(self, what: str) -> None:
        if self.skipped:
            _logger.warning(
                "skipped %d malformed %s (--skip-bad); first: %s", self.skipped, what, " | ".join(self.examples)
            )
