"""A post's file, shown in the chat (/preview and the Preview button).

Telegram refuses a message longer than 4096 characters (UTF-16 code units, counted after the HTML
is parsed), so a file that would not fit in one message with its header line goes as a .md
document instead.
"""

from __future__ import annotations

from datetime import datetime

from telegram import Bot, InputFile

from bot.core.conversation import PostThread
from bot.core.writer import Writer
from bot.telegram import replies

# File content up to this many characters is shown as a message, anything longer as a document.
PREVIEW_AS_TEXT_LIMIT = 3500


async def send_preview(bot: Bot, writer: Writer, chat_id: int, thread: PostThread) -> None:
    content = writer.posts.render(thread.draft, datetime.fromisoformat(thread.date)).content
    if len(content) <= PREVIEW_AS_TEXT_LIMIT:
        await bot.send_message(chat_id, replies.preview(thread, content))
        return
    name = thread.path.rsplit("/", 1)[-1]
    await bot.send_document(
        chat_id,
        InputFile(content.encode(), filename=name),
        caption=replies.preview_caption(thread),
    )
