"""The python-telegram-bot Application, and where every kind of update goes.

`register` is the map (buttons in `_route_buttons`, right below it): read it top to bottom to
see which handler answers what. Within a group the first matching handler wins, so strangers are
refused before anything else. `messages.notes` lives in bot/telegram/messages.py,
`files.received` (voice notes, documents) in files.py, `commands.status` in commands.py,
`buttons.preview` in buttons.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeAlias

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    JobQueue,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.core.attachments import AttachmentReader
from bot.core.jobs import Inbox, JobStore
from bot.core.photos import DEFAULT_IMAGE_MAX_BYTES, DEFAULT_IMAGE_MAX_SIDE, PhotoReader
from bot.core.ports import SpeechToText
from bot.core.writer import Writer
from bot.telegram.buttons import Buttons, PressedByStranger, not_yours, out_of_date
from bot.telegram.commands import Commands
from bot.telegram.files import Files, TelegramFiles
from bot.telegram.job_runner import JobRunner
from bot.telegram.keyboards import (
    DISCARD,
    DISCARD_CONFIRMED,
    EDIT_MERGED,
    KEEP,
    NEW_FROM_JOB,
    NEW_POST,
    PICK,
    PREVIEW,
    RETRY,
)
from bot.telegram.messages import Messages
from bot.telegram.privacy_buttons import privacy_handlers
from bot.telegram.retries import RetryingRateLimiter
from bot.telegram.similar_posts import SimilarPostButtons
from bot.telegram.similar_replies import GO_AHEAD, UPDATE_EXISTING

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
BotApplication: TypeAlias = Application[
    ExtBot[int], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Context]
]


def build_application(*, token: str, api_url: str) -> BotApplication:
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        # Every text the bot sends is Telegram HTML (bot/telegram/replies.py escapes for it).
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        # bot.telegram.poller polls, so that no update is confirmed before it is stored.
        .updater(None)
        .concurrent_updates(True)
        .rate_limiter(RetryingRateLimiter(max_retries=3))
        .build()
    )


def register(
    app: BotApplication,
    writer: Writer,
    allowed_user_ids: Collection[int],
    *,
    job_store: JobStore,
    inbox: Inbox,
    join_window: float = 2.0,
    speech: SpeechToText | None = None,
    speech_language: str | None = None,
    image_limits: tuple[int, int] = (DEFAULT_IMAGE_MAX_SIDE, DEFAULT_IMAGE_MAX_BYTES),
    more_buttons: Callable[[JobRunner], Sequence[BaseHandler[Update, Context, None]]] | None = None,
) -> JobRunner:
    """Add every handler to `app`; returns the job runner, for start-up and shutdown.
    `speech` hears voice notes; `speech_language` is SPEECH_LANGUAGE; `more_buttons(runner)`
    gives the handlers of other buttons (the review loop's), routed before the stale catch-all."""
    reader = AttachmentReader(TelegramFiles(app.bot), speech) if speech is not None else None
    runner = JobRunner(
        app.bot,
        writer,
        job_store,
        create_task=app.create_task,
        join_window=join_window,
        reader=reader,
        photos=PhotoReader(
            TelegramFiles(app.bot), max_side=image_limits[0], max_bytes=image_limits[1]
        ),
    )
    messages = Messages(runner, job_store)
    files = Files(runner, job_store, messages, speech_language=speech_language)
    commands = Commands(writer, runner, job_store)
    buttons = Buttons(writer, runner, job_store)
    similar = SimilarPostButtons(runner, job_store)
    writers = filters.User(user_id=list(allowed_user_ids))
    from_writers = filters.UpdateType.MESSAGE & writers

    # Deny first: a stranger's message never reaches a handler that spends money.
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & ~writers, messages.deny))

    _route_commands(app, commands, from_writers)

    _route_messages(app, messages, files, writers)

    more = more_buttons(runner) if more_buttons else ()
    _route_buttons(app, buttons, allowed_user_ids, similar, more)

    async def handled(update: Update, context: Context) -> None:
        await inbox.done(update.update_id)

    # Last, in a later group: the update has been handled, so it leaves the inbox.
    app.add_handler(TypeHandler(Update, handled), group=1)
    app.add_error_handler(log_error)
    return runner


def _route_messages(
    app: BotApplication, messages: Messages, files: Files, writers: filters.BaseFilter
) -> None:
    """Writers' messages: files (voice, audio, video notes, documents, photos), then notes."""
    from_writers = filters.UpdateType.MESSAGE & writers
    # Before captions: a file's caption goes with the file's own words.
    sent_files = (
        filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE | filters.Document.ALL | filters.PHOTO
    )
    app.add_handler(MessageHandler(from_writers & sent_files, files.received))
    notes = from_writers & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND
    app.add_handler(MessageHandler(notes, messages.notes))
    app.add_handler(MessageHandler(from_writers, messages.not_text))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & writers, messages.edited))


def _route_commands(
    app: BotApplication, commands: Commands, from_writers: filters.BaseFilter
) -> None:
    """The commands of the menu (bot/telegram/commands.py COMMANDS), writers only."""
    for names, callback in (
        (["start", "help"], commands.help),
        (["new"], commands.new_post),
        (["status"], commands.status),
        (["posts"], commands.posts),
        (["preview"], commands.preview),
        (["retry"], commands.retry),
        (["discard"], commands.discard),
        (["cancel"], commands.cancel),
    ):
        app.add_handler(CommandHandler(names, callback, filters=from_writers))


def _route_buttons(
    app: BotApplication,
    buttons: Buttons,
    allowed_user_ids: Collection[int],
    similar: SimilarPostButtons,
    more: Sequence[BaseHandler[Update, Context, None]] = (),
) -> None:
    """Buttons, by their callback data (bot/telegram/keyboards.py): a stranger's press is
    refused whatever it says, and data that no pattern matches is out of date."""
    app.add_handler(PressedByStranger(not_yours, allowed_user_ids))
    app.add_handler(CallbackQueryHandler(buttons.new_post, pattern=NEW_POST.pattern))
    app.add_handler(CallbackQueryHandler(buttons.keep, pattern=KEEP.pattern))
    app.add_handler(CallbackQueryHandler(buttons.preview, pattern=PREVIEW.pattern))
    app.add_handler(CallbackQueryHandler(buttons.retry, pattern=RETRY.pattern))
    app.add_handler(CallbackQueryHandler(buttons.pick, pattern=PICK.pattern))
    app.add_handler(CallbackQueryHandler(buttons.discard, pattern=DISCARD.pattern))
    app.add_handler(
        CallbackQueryHandler(buttons.discard_confirmed, pattern=DISCARD_CONFIRMED.pattern)
    )
    app.add_handler(CallbackQueryHandler(buttons.edit_merged, pattern=EDIT_MERGED.pattern))
    app.add_handler(CallbackQueryHandler(buttons.new_from_job, pattern=NEW_FROM_JOB.pattern))
    app.add_handlers(privacy_handlers(buttons.runner, buttons.job_store))
    for handler in more:
        app.add_handler(handler)
    app.add_handler(CallbackQueryHandler(similar.go_ahead, pattern=GO_AHEAD.pattern))
    app.add_handler(CallbackQueryHandler(similar.update_existing, pattern=UPDATE_EXISTING.pattern))
    app.add_handler(CallbackQueryHandler(out_of_date))


async def log_error(update: object, context: Context) -> None:
    log.error("unhandled error while handling an update", exc_info=context.error)
