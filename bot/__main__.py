"""`python -m bot`: start the long-polling worker."""

from __future__ import annotations

import sys

from telegram import Update

from bot.config import ConfigError, load_settings
from bot.logs import configure_logging


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print("blogbot cannot start; fix these settings (environment or .env):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.secrets())

    from bot.app import build_bot  # after logging is set up, so import-time logs are scrubbed

    application = build_bot(settings)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
