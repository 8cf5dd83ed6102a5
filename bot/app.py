"""The composition root: the only place that turns settings into real objects."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from datetime import datetime

from bot.adapters.github_repo import GitHubRepository, github_retry
from bot.adapters.github_reviews import GitHubReviews
from bot.adapters.state import (
    NamespacedStore,
    migrate_legacy_keys,
    open_state_store,
    state_namespace,
    state_on_ephemeral_disk,
)
from bot.adapters.workers_ai import WorkersAIClient, WorkersAISpeech
from bot.adapters.workers_ai_embeddings import WorkersAIEmbedder
from bot.adapters.write_budget import WriteBudget
from bot.config import Settings
from bot.core.conversation import ConversationStore
from bot.core.drafting import Drafter
from bot.core.jobs import INBOX_TTL_SECONDS, JOB_TTL_SECONDS, Inbox, JobStore
from bot.core.ports import StateStore
from bot.core.post_update import PostUpdater
from bot.core.privacy import PrivacyScanner
from bot.core.publishing import PostLayout, Publisher, PullOptions
from bot.core.reviews import ReviewRecords, ReviewWatcher, keep_watching
from bot.core.similar_posts import SimilarPosts
from bot.core.writer import Writer
from bot.startup import verify_services
from bot.telegram.application import build_application, register
from bot.telegram.poller import run_bot
from bot.telegram.reviews import ReviewDesk

log = logging.getLogger(__name__)


def local_now() -> datetime:
    return datetime.now().astimezone()


def build_model(settings: Settings) -> WorkersAIClient:
    return WorkersAIClient(
        api_url=settings.cloudflare_api_url,
        account_id=settings.cloudflare_account_id,
        api_token=settings.cloudflare_api_token.get_secret_value(),
        model=settings.ai_model,
        max_tokens=settings.ai_max_tokens,
    )


def build_speech(settings: Settings) -> WorkersAISpeech:
    return WorkersAISpeech(
        api_url=settings.cloudflare_api_url,
        account_id=settings.cloudflare_account_id,
        api_token=settings.cloudflare_api_token.get_secret_value(),
        model=settings.ai_speech_model,
    )


def build_embedder(settings: Settings) -> WorkersAIEmbedder:
    return WorkersAIEmbedder(
        api_url=settings.cloudflare_api_url,
        account_id=settings.cloudflare_account_id,
        api_token=settings.cloudflare_api_token.get_secret_value(),
        model=settings.ai_embedding_model,
        timeout=30.0,
        max_attempts=2,  # advice, not a gate: a slow answer must not hold the post up long
    )


def build_write_budget(settings: Settings) -> WriteBudget:
    return WriteBudget(
        limits=(
            (settings.github_writes_per_minute, 60.0),
            (settings.github_writes_per_hour, 3600.0),
        )
    )


def build_repository(
    settings: Settings, write_budget: WriteBudget | None = None
) -> GitHubRepository:
    return GitHubRepository(
        api_url=settings.github_api_url,
        token=settings.github_token.get_secret_value(),
        repo=settings.github_repo,
        base_branch=settings.github_base_branch,
        write_budget=write_budget or build_write_budget(settings),
    )


def build_review_watch(settings: Settings, write_budget: WriteBudget) -> GitHubReviews:
    return GitHubReviews(
        api_url=settings.github_api_url,
        token=settings.github_token.get_secret_value(),
        repo=settings.github_repo,
        spend_write=write_budget.spend,
        # No waiting for a rate limit's reset here: the next poll comes soon enough.
        retry=github_retry(total=2, max_rate_limit_wait=0),
    )


def build_state(settings: Settings) -> NamespacedStore:
    """The state store, namespaced by bot id and repository so bots and blogs can share one."""
    redis_url = settings.redis_url_value
    if state_on_ephemeral_disk(redis_url=redis_url, dyno=settings.dyno):
        log.warning(
            "State is in %s on a Heroku dyno, whose disk is wiped on every restart: "
            "conversations will be forgotten. Add the Heroku Key-Value Store (REDIS_URL).",
            settings.state_path,
        )
    store = open_state_store(redis_url=redis_url, sqlite_path=settings.state_path)
    namespace = state_namespace(
        bot_token=settings.telegram_bot_token.get_secret_value(), repo=settings.github_repo
    )
    return NamespacedStore(store, namespace)


async def migrate_legacy_state(settings: Settings, state: NamespacedStore) -> int:
    """Move the keys of a version without namespaces into this bot's namespace; see
    migrate_legacy_keys. The prefixes are those of bot.core.jobs and bot.core.conversation."""
    ttl_by_prefix = {
        "job:": JOB_TTL_SECONDS,
        "inbox:": INBOX_TTL_SECONDS,
        "conversation:": settings.conversation_ttl_hours * 3600,
    }
    return await migrate_legacy_keys(state, ttl_by_prefix)


def build_post_service(
    settings: Settings, model: WorkersAIClient, repository: GitHubRepository
) -> Publisher:
    return Publisher(
        repository=repository,
        layout=PostLayout(
            # Set by the operator, they override what is learned from the blog; else learned.
            posts_dir=settings.posts_dir,
            filename_template=settings.post_filename,
            branch_prefix=settings.branch_prefix,
        ),
        clock=local_now,
        model_name=model.model,
        pull_options=PullOptions(
            labels=tuple(settings.pr_labels),
            reviewers=tuple(settings.pr_reviewers),
            draft=settings.pr_draft,
            include_notes=settings.pr_include_notes,
        ),
    )


def build_writer(
    settings: Settings,
    model: WorkersAIClient,
    repository: GitHubRepository,
    state: StateStore,
    embedder: WorkersAIEmbedder | None = None,
) -> Writer:
    """The writer's use cases; with an `embedder` new posts are compared with the blog's."""
    publisher = build_post_service(settings, model, repository)
    conversations = ConversationStore(state, ttl_seconds=settings.conversation_ttl_hours * 3600)
    drafter = Drafter(model)
    similar = None
    if embedder is not None and settings.similar_posts:
        similar = SimilarPosts(
            repository=repository,
            blobs=repository,
            embedder=embedder,
            store=state,
            knowledge=publisher.knowledge,
            threshold=settings.similar_post_threshold,
            link=repository.file_link,
        )
    updater = PostUpdater(
        drafter=drafter,
        repository=repository,
        branch_prefix=settings.branch_prefix,
        clock=local_now,
    )
    return Writer(
        drafter=drafter,
        publisher=publisher,
        conversations=conversations,
        similar=similar,
        updater=updater,
        privacy=PrivacyScanner(phone_region=settings.phone_region),
    )


async def serve(settings: Settings) -> None:
    """Run the bot until SIGTERM or SIGINT; every client is closed however it ends."""
    async with AsyncExitStack() as clients:
        model = build_model(settings)
        clients.push_async_callback(model.aclose)
        speech = build_speech(settings)
        clients.push_async_callback(speech.aclose)
        write_budget = build_write_budget(settings)
        repository = build_repository(settings, write_budget)
        clients.push_async_callback(asyncio.to_thread, repository.close)
        pull_watch = build_review_watch(settings, write_budget)
        clients.push_async_callback(asyncio.to_thread, pull_watch.close)
        await verify_services(settings, repository)
        state = build_state(settings)
        clients.push_async_callback(state.close)
        await migrate_legacy_state(settings, state)
        log.info("conversation state: %s", state.description)
        embedder = build_embedder(settings)
        clients.push_async_callback(embedder.aclose)
        writer = build_writer(settings, model, repository, state, embedder)
        if not settings.allowed_user_ids:
            log.warning(
                "ALLOWED_USER_IDS is empty, so the bot serves nobody. Fix: send the bot a "
                "message, it answers with your id; put it in ALLOWED_USER_IDS and restart."
            )
        inbox = Inbox(state)
        job_store = JobStore(state)
        desk = ReviewDesk(ReviewRecords(state))
        app = build_application(
            token=settings.telegram_bot_token.get_secret_value(),
            api_url=settings.telegram_api_url,
        )
        jobs = register(
            app,
            writer,
            settings.allowed_user_ids,
            job_store=job_store,
            inbox=inbox,
            speech=speech,
            speech_language=settings.speech_language,
            image_limits=(settings.image_max_side, settings.image_max_bytes),
            more_buttons=desk.handlers,
        )
        watcher = ReviewWatcher(
            github=pull_watch,
            store=state,
            conversations=writer.conversations,
            jobs=job_store,
            sink=desk,
            bot_names=[settings.review_mention],
            site_url=settings.site_base_url,
        )
        interval = settings.review_poll_seconds

        async def watch_reviews(stop: asyncio.Event) -> None:
            await keep_watching(watcher, interval, stop)

        await run_bot(app, jobs, inbox, background=watch_reviews if interval > 0 else None)
