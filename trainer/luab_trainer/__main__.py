"""``python -m luab_trainer COMMAND``: train, export, byproducts-stats, make-toy-data, wsol.

Exit codes: 0 success; 1 a failed operation (bad data file, non-finite loss, failed export check); 2 a usage or
configuration error. Errors are one line on stderr naming the file/field/key; the traceback only with --debug.
"""

from __future__ import annotations

import logging
import sys

from .byproducts.errors import ByproductFormatError
from .config import ConfigError

COMMANDS = ("train", "export", "byproducts-stats", "make-toy-data", "wsol")


def _setup_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print(f"usage: python -m luab_trainer {{{','.join(COMMANDS)}}} [options] [--debug]", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    _setup_logging(debug)
    command, rest = argv[0], argv[1:]
    try:
        if command == "train":
            from .cli import train_command

            return train_command(rest)
        if command == "export":
            from .cli import export_command

            return export_command(rest)
        if command == "byproducts-stats":
            from .stats import stats_command

            return stats_command(rest)
        if command == "wsol":
            from .wsol import wsol_command

            return wsol_command(rest)
        from .cli import toy_data_command

        return toy_data_command(rest)
    except ConfigError as error:
        print(f"luab_trainer {command}: {error}", file=sys.stderr)
        return 2
    except (ByproductFormatError, FileNotFoundError, FileExistsError, ValueError, RuntimeError) as error:
        if debug:
            raise
        print(f"luab_trainer {command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
