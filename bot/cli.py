"""The command line: `run` (the default) starts the bot, `check` tests every setting against the
live services, `draft` runs the writing pipeline once without Telegram."""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import re
import sys
from pathlib import Path

from bot.config import ENV_FILE, ConfigError, Settings, load_settings
from bot.core.blog import BlogProfile
from bot.logs import configure_logging

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2  # also what argparse uses for a usage error

_TAG = re.compile(r"<[^>]+>")


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or _prog_name(),
        description="A Telegram bot that turns a writer's notes into a blog post pull request.",
        epilog="Settings come from the environment or a .env file; see README.md.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="start the bot (long polling); the default")
    check = commands.add_parser(
        "check",
        help="check every setting against Telegram, Workers AI, GitHub and the state store",
        description="Check every setting against the live services; exit 0 only if all pass.",
    )
    check.add_argument(
        "--delete-webhook",
        action="store_true",
        help="delete a Telegram webhook that would block long polling",
    )
    draft = commands.add_parser(
        "draft",
        help="write one post from notes and open its pull request, without Telegram",
        description="Draft a post from NOTES with the model and open a pull request with it.",
    )
    draft.add_argument(
        "notes", metavar="NOTES", help='topic or notes for the post; "-" reads stdin'
    )
    # Its own usage for its own errors (empty notes), not the top-level one.
    draft.set_defaults(usage=draft)
    draft.add_argument(
        "--dry-run",
        action="store_true",
        help="print the post file's path and content instead of writing to GitHub",
    )
    return parser


def _prog_name() -> str:
    # `python -m bot` and the `blogbot` console script share this parser; name the one in use.
    return "python -m bot" if Path(sys.argv[0]).name == "__main__.py" else "blogbot"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "run"

    notes = ""
    if command == "draft":
        notes = (sys.stdin.read() if args.notes == "-" else args.notes).strip()
        if not notes:
            args.usage.error("the notes are empty")

    settings = _settings_or_none()
    if settings is None:
        return EXIT_CONFIG
    configure_logging(settings.log_level, settings.secrets())

    if command == "check":
        return asyncio.run(check(settings, delete_webhook=args.delete_webhook))
    if command == "draft":
        return asyncio.run(draft(settings, notes, dry_run=args.dry_run))
    return run(settings)


def _settings_or_none() -> Settings | None:
    try:
        return load_settings()
    except ConfigError as exc:
        print("blogbot cannot start; fix these settings (environment or .env):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        if not Path(ENV_FILE).exists():
            print(
                f"There is no {ENV_FILE} file in {Path.cwd()}: create it with "
                f"`cp .env.example {ENV_FILE}`, fill it in, then run `python -m bot check`.",
                file=sys.stderr,
            )
        return None


def run(settings: Settings) -> int:
    from bot.app import serve  # after logging is set up, so import-time logs are scrubbed
    from bot.startup import SettingRejected

    try:
        asyncio.run(serve(settings))
    except SettingRejected as exc:
        for line in exc.lines:
            log.error("%s", line)
        log.debug("start-up failed", exc_info=True)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception as exc:
        # The details (scrubbed like every log line) are one LOG_LEVEL=DEBUG away.
        log.error("blogbot stopped: %s; run with LOG_LEVEL=DEBUG for details", describe(exc))
        log.debug("what stopped the bot", exc_info=True)
        return EXIT_FAILED
    return EXIT_OK


def describe(exc: BaseException) -> str:
    """`Type: message` of an unexpected error, for one log line (the formatter scrubs it)."""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__


async def check(settings: Settings, *, delete_webhook: bool = False) -> int:
    from bot import checks

    results = await checks.run_checks(settings, delete_webhook=delete_webhook)
    print(checks.format_table(results, settings.secrets()))
    if not any(r.status == "FAIL" and r.check.startswith("GitHub") for r in results):
        print()
        print(await learned_blog_text(settings))
    return EXIT_OK if checks.all_passed(results) else EXIT_FAILED


async def learned_blog_text(settings: Settings) -> str:
    """The blog profile learned from the repository (read only), or why it could not be."""
    from bot.app import build_model, build_post_service, build_repository
    from bot.core.errors import PublishError

    model = build_model(settings)
    repository = build_repository(settings)
    try:
        learned = await build_post_service(settings, model, repository).knowledge.latest()
        return blog_profile_text(settings.github_repo, learned.profile)
    except PublishError as exc:
        return f"Blog profile of {settings.github_repo}: not learned ({exc.user_message})"
    finally:
        await model.aclose()
        await asyncio.to_thread(repository.close)


def blog_profile_text(repo: str, profile: BlogProfile) -> str:
    """What was learned of the blog, for a terminal."""
    lines = [f"Blog profile of {repo}:", *(f"  {line}" for line in profile.describe())]
    if profile.assumed:
        lines.append("  (nothing recognised: the default layout; pin another in .blogbot.yml)")
    return "\n".join(lines)


def plain_text(telegram_html: str) -> str:
    """A reply meant for Telegram, for a terminal: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", telegram_html))


async def draft(settings: Settings, notes: str, *, dry_run: bool = False) -> int:
    from bot.app import build_model, build_post_service, build_repository
    from bot.core.drafting import Drafter
    from bot.core.drafts import DraftFormatError
    from bot.core.errors import DraftRejected, ModelError, PublishError
    from bot.telegram.replies import failure

    model = build_model(settings)
    repository = build_repository(settings)
    publisher = build_post_service(settings, model, repository)
    try:
        # Read only: the blog's conventions and voice. A dry run writes nothing to GitHub.
        learned = await publisher.knowledge.latest()
        print(blog_profile_text(settings.github_repo, learned.profile), file=sys.stderr)
        written = await Drafter(model).write(notes, style=learned.style)
        if dry_run:
            post = publisher.render(written)
            print(post.path)
            print()
            print(post.content, end="")
            return EXIT_OK
        # The bot's publishing steps, without a job to checkpoint: one run, start to end.
        thread = await publisher.new_post(written, notes)
    except (ModelError, DraftFormatError, DraftRejected, PublishError) as exc:
        log.debug("draft failed", exc_info=True)
        print(plain_text(failure(exc, draft_kept=False)), file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:
        log.exception("draft failed")
        print(plain_text(failure(exc, draft_kept=False)), file=sys.stderr)
        return EXIT_FAILED
    finally:
        await model.aclose()
        await asyncio.to_thread(repository.close)
    print(f"Pull request #{thread.number}: {thread.url}")
    print(f"File: {thread.path} (branch {thread.branch})")
    return EXIT_OK
