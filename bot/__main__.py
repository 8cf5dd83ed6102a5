"""`python -m bot` and the `blogbot` script: run the bot, `check` or `draft` (see bot/cli.py)."""

from __future__ import annotations

import sys

from bot.cli import main as _cli_main


def main(argv: list[str] | None = None) -> int:
    return _cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
