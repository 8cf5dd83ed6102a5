"""Telegram entry point: one handler per concern, wired into a python-telegram-bot Application."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import replies
from bot.service import PostService

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("help", "How to use this bot"),
]


class BlogBot:
    """The handlers. Holds the service and the allowlist; no Telegram state of its own."""

    def __init__(self, service: PostService, allowed_user_ids: Collection[int]) -> None:
        self.service = service
        self.allowed = filters.User(user_id=list(allowed_user_ids))

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
        updates = filters.UpdateType.MESSAGE
        # Deny first: a stranger's message never reaches a handler that spends money.
        app.add_handler(MessageHandler(updates & ~self.allowed, self.deny))
        app.add_handler(CommandHandler(["start", "help"], self.help, filters=self.allowed))
        app.add_handler(
            MessageHandler(
                updates & filters.TEXT & ~filters.COMMAND & self.allowed, self.write_post
            )
        )
        app.add_handler(MessageHandler(updates & self.allowed, self.not_text))
        app.add_error_handler(self.on_error)

    async def deny(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        message = update.effective_message
        if user is None or message is None:
            return
        log.info("refused a message from user %s (not in ALLOWED_USER_IDS)", user.id)
        await message.reply_text(replies.not_allowed(user.id), parse_mode=ParseMode.HTML)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(replies.HELP, parse_mode=ParseMode.HTML)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(replies.NOT_TEXT)

    async def write_post(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        await message.chat.send_action(ChatAction.TYPING)
        status = await message.reply_text(replies.WORKING)
        await self._finish(status, lambda: self._publish(message.text or ""))

    async def _publish(self, text: str) -> tuple[str, InlineKeyboardMarkup]:
        result = await self.service.create_post(text)
        pull = result.pull
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(f"Open pull request #{pull.number}", url=pull.url)]]
        )
        text = replies.published(pull.number, pull.title, pull.url, pull.path, result.words)
        log.info("opened pull request #%d (%s)", pull.number, pull.path)
        return text, keyboard

    async def _finish(
        self,
        status: Message,
        work: Callable[[], Awaitable[tuple[str, InlineKeyboardMarkup | None]]],
    ) -> None:
        try:
            text, keyboard = await work()
        except Exception as exc:
            log.exception("job failed in chat %s", status.chat_id)
            await status.edit_text(replies.failure(exc), parse_mode=ParseMode.HTML)
            return
        await status.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("unhandled error while handling an update", exc_info=context.error)


def build_application(
    *,
    token: str,
    api_url: str,
    blog_bot: BlogBot,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
) -> Application:  # type: ignore[type-arg]
    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        await app.bot.set_my_commands(COMMANDS)
        me = app.bot.username
        log.info("bot @%s is up, polling for updates", me)

    async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
        if on_shutdown is not None:
            await on_shutdown()

    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(True)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    blog_bot.register(app)
    return app
