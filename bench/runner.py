"""Drives the real bot process through the benchmark phases and collects raw observations.

One bot process serves phases 1-4 in order (start-up, idle memory, sequential messages,
concurrency, more jobs, memory again); extra processes are then started only to sample start-up
time. Then one more process writes to a second fake GitHub that holds a sample blog with posts
(phase 6, the model's input with the blog's style excerpt; the sequential messages of phase 1
went to the bare default repository). Last, that process gets what a phone sends (phase 7,
bench.media): a post with 1 photo and one with an album of 3, their GitHub calls counted, then
voice notes, timed up to the transcript being shown. Nothing here judges results:
`bench.metrics` turns the observations into numbers.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import media
from bench.fakes import BenchGitHub, BenchTelegram, BenchWorkersAI, Span
from tests import redis_server
from tests.botprocess import bot_environment
from tests.helpers_blogs import blog_files

# Benchmark users, each in its own private chat (chat id == user id).
SEQUENTIAL_BASE = 10_000  # phase 1/2: user i sends a new post, then one revision
SINGLE_USER = 20_000  # phase 3: the one-user baseline
CONCURRENT_BASE = 30_000  # phase 3: N users at once; their revisions fill up phase 4
STYLE_BASE = 40_000  # phase 6: as phase 1 (new post, then a revision), to a blog with posts
STYLE_BLOG = "hugo-toml"  # tests/blogs/<kind>: the blog with posts of phase 6
MEDIA_USER = 50_000  # phase 7: photos and voice notes
MEDIA_TOPIC = 5000
MEDIA_IMAGES = (1, 3)  # phase 7: a new post with this many photos each


@dataclass
class Settings:
    messages: int = 50
    users: int = 10
    api_latency: float = 0.030  # every Telegram, GitHub and Workers AI call (not getUpdates)
    model_latency: float = 0.075  # the model's own time, sequential and memory phases
    concurrency_model_latency: float = 2.0
    memory_jobs: int = 100
    startup_runs: int = 3
    settle: float = 1.0  # idle time before reading RSS
    gap: float = 0.05  # pause between sequential messages
    github_pacing: bool = False  # keep the bot's GitHub write pacing (80 writes a minute)
    state: str = "sqlite"  # or "redis": a private redis-server (REDIS_URL), as on Heroku
    style_messages: int = 4  # phase 6: new post, revision, new post, revision
    voice_notes: int = 10  # phase 7: voice notes, each revising the post with photos
    speech_latency: float = 0.1  # the speech model's own time (phase 7)
    quick: bool = False

    @classmethod
    def quick_run(cls) -> Settings:
        return cls(
            messages=4,
            users=3,
            concurrency_model_latency=0.5,
            memory_jobs=12,
            startup_runs=1,
            settle=0.5,
            voice_notes=3,
            quick=True,
        )


@dataclass
class Message:
    kind: str  # "new" or "revision"
    chat: int
    sent: float
    final: Span
    until: float = float("inf")  # end of the window its calls are attributed to
    images: int = 0  # photos sent with it (phase 7)


@dataclass
class VoiceNote:
    """A voice note of phase 7: sent at `message.sent`, its transcript shown by `shown`."""

    message: Message
    shown: Span


@dataclass
class StartUp:
    seconds: float
    injected: float  # latency injected into the calls before the first getUpdates
    rss_idle_kb: int | None = None


@dataclass
class Observations:
    settings: Settings
    startups: list[StartUp] = field(default_factory=list)
    sequential: list[Message] = field(default_factory=list)
    single: Message | None = None
    concurrent: list[Message] = field(default_factory=list)
    jobs: int = 0
    rss_idle_kb: int = 0
    rss_idle_hwm_kb: int = 0
    rss_after_jobs_kb: int = 0
    rss_after_jobs_hwm_kb: int = 0
    bot_cpu_sequential: float = 0.0  # CPU seconds the bot used during the sequential messages
    bench_cpu_sequential: float = 0.0  # and this process (the fakes, the driver)
    spans: list[Span] = field(default_factory=list)
    # time.monotonic() when each streamed answer's first word left the fake Workers AI.
    first_tokens: list[float] = field(default_factory=list)
    pacing_waits: int = 0  # times the bot paused its GitHub writes (bot log)
    pull_requests: int = 0  # opened in the fake GitHub over the whole run
    fake_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Phase 6: the messages to the blog with posts, and the files of each repository's main
    # branch ("default": the bare repository of phases 1-5; STYLE_BLOG: the sample blog).
    style: list[Message] = field(default_factory=list)
    repositories: dict[str, list[str]] = field(default_factory=dict)
    # Phase 7: the posts with photos (to their own fake GitHub) and the voice notes.
    photo_posts: list[Message] = field(default_factory=list)
    voice_notes: list[VoiceNote] = field(default_factory=list)


def new_request(topic: int) -> str:
    return (
        f"Please write a post about bench topic {topic}: how we cut our CI build times by "
        f"{topic % 60 + 20}% with a shared build cache, mention the {topic % 9 + 3} minute saving "
        "per run and that the cache lives in our own S3 bucket."
    )


def revision_request(topic: int, round_: int = 0) -> str:
    return (
        f"Make it a bit shorter and friendlier, and say the numbers again in the conclusion "
        f"(bench topic {topic}, pass {round_ + 1})."
    )


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM... of /proc/<pid>/status, in kB."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key.startswith("Vm") and rest.strip().endswith("kB"):
                values[key] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BotRun:
    """One `python -m bot` process."""

    def __init__(
        self,
        env: dict[str, str],
        workdir: Path,
        wrap: list[str] | None = None,
    ) -> None:
        self.env = env
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.wrap = wrap or []
        self.process: subprocess.Popen[bytes] | None = None
        self.bot_pid: int | None = None  # the bot itself when it runs under a wrapper

    def start(self) -> float:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            started = time.monotonic()
            self.process = subprocess.Popen(
                [*self.wrap, sys.executable, "-m", "bot"],
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return started

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.bot_pid or self.process.pid

    @property
    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def status(self) -> dict[str, int]:
        return proc_status(self.pid)

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # Under a wrapper, stop the bot itself: the wrapper (py-spy, strace) then finishes too.
        target = self.bot_pid if self.wrap and self.bot_pid else self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if target != self.process.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(target, signal.SIGKILL)
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class BenchError(RuntimeError):
    pass


class Harness:
    def __init__(
        self,
        settings: Settings,
        workdir: Path,
        progress: Callable[[str], None] = lambda _: None,
        wrap: list[str] | None = None,
    ) -> None:
        self.settings = settings
        self.workdir = workdir
        self.progress = progress
        self.wrap = wrap
        self.github = BenchGitHub()
        self.telegram = BenchTelegram(pull_url_marker=f"/{self.github.full_name}/pull/")
        self.ai = BenchWorkersAI()
        self.fakes = (self.telegram, self.github, self.ai)
        self.blog_github: BenchGitHub | None = None  # phase 6: the blog with posts
        self.bot: BotRun | None = None
        self._runs = 0
        self.logs: list[Path] = []
        self.redis: redis_server.PrivateRedis | None = None

    # -- set-up ------------------------------------------------------------------------------
    def __enter__(self) -> Harness:
        if self.settings.state == "redis":
            binary = redis_server.find_binary()
            if binary is None:
                raise BenchError("--state redis needs redis-server on PATH")
            (self.workdir / "redis").mkdir()
            self.redis = redis_server.PrivateRedis.start(binary, self.workdir / "redis")
        for fake in self.fakes:
            fake.start()
            fake.api_latency = self.settings.api_latency
        self.ai.run_latency = self.settings.model_latency
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bot is not None:
            self.bot.stop()
        for fake in self.all_fakes():
            fake.stop()
        if self.redis is not None:
            self.redis.stop()

    def all_fakes(self) -> list[BenchTelegram | BenchGitHub | BenchWorkersAI]:
        return [*self.fakes, *([self.blog_github] if self.blog_github is not None else [])]

    def users(self) -> list[int]:
        s = self.settings
        sequential = [SEQUENTIAL_BASE + i for i in range((s.messages + 1) // 2)]
        concurrent = [CONCURRENT_BASE + i for i in range(max(s.users, 1))]
        style = [STYLE_BASE + i for i in range((s.style_messages + 1) // 2)]
        return [*sequential, SINGLE_USER, *concurrent, *style, MEDIA_USER]

    def environment(self, workdir: Path, github: BenchGitHub | None = None) -> dict[str, str]:
        extra = {"REDIS_URL": self.redis.url} if self.redis is not None else {}
        if not self.settings.github_pacing:
            # ~200 GitHub writes in half a minute: GitHub's real limit (80 a minute) would stop
            # the bot for most of a minute and the run would measure the limit, not the bot.
            extra |= {"GITHUB_WRITES_PER_MINUTE": "1000000", "GITHUB_WRITES_PER_HOUR": "1000000"}
        return bot_environment(
            self.telegram,
            self.ai,
            github or self.github,
            workdir,
            ALLOWED_USER_IDS=",".join(str(u) for u in self.users()),
            LOG_LEVEL="INFO",
            # The review loop's own cost is measured apart (tests/integration/
            # test_review_budget.py); here it would mix its reads into each message's calls.
            REVIEW_POLL_SECONDS="0",
            **extra,
        )

    def start_bot(self, github: BenchGitHub | None = None) -> tuple[BotRun, StartUp]:
        """A new bot process, writing to `github` (the default repository unless given)."""
        self._runs += 1
        workdir = self.workdir / f"run{self._runs}"
        workdir.mkdir(parents=True, exist_ok=True)
        wrap = [arg.replace("{run}", str(self._runs)) for arg in self.wrap or []]
        bot = BotRun(self.environment(workdir, github), workdir, wrap)
        self.logs.append(bot.log_path)
        started = bot.start()

        def first_poll() -> float | None:
            if bot.exited:
                raise BenchError(f"the bot exited during start-up:\n{bot.log_tail()}")
            return next(
                (t for e, t in list(self.telegram.arrivals) if e == "getUpdates" and t >= started),
                None,
            )

        try:
            polled: float = self.telegram.wait_until(first_poll, timeout=60)
        except BaseException as exc:
            bot.stop()
            if isinstance(exc, TimeoutError):
                raise BenchError(f"the bot did not poll within 60 s:\n{bot.log_tail()}") from None
            raise
        injected = sum(
            s.injected for fake in self.fakes for s in fake.spans_between(started, polled)
        )
        if self.wrap:
            bot.bot_pid = find_bot_child(bot.pid)
        return bot, StartUp(polled - started, injected)

    # -- driving -----------------------------------------------------------------------------
    def send(self, user: int, text: str) -> float:
        sent = time.monotonic()
        self.telegram.send_text(user, text, first_name=f"Writer{user}")
        return sent

    def wait_final(
        self, chat: int, since: float, timeout: float = 30.0, marker: str | None = None
    ) -> Span:
        """The answer with the pull request link (with `marker`: the first message holding it)."""

        def find() -> Span | None:
            for span in self.telegram.spans_between(since):
                if span.chat_id != chat:
                    continue
                if (span.final and marker is None) or (marker and marker in span.text):
                    return span
                if span.text.startswith("⚠️"):
                    raise BenchError(f"chat {chat}: the bot answered with a failure: {span.text}")
            if self.bot is not None and self.bot.exited:
                raise BenchError(f"the bot exited:\n{self.bot.log_tail()}")
            return None

        try:
            found: Span = self.telegram.wait_until(find, timeout=timeout)
        except TimeoutError:
            tail = self.bot.log_tail() if self.bot else ""
            stacks = dump_stacks(self.bot.pid) if self.bot and not self.bot.exited else ""
            raise BenchError(
                f"chat {chat}: no answer within {timeout:.0f}s\n{tail}\n{stacks}"
            ) from None
        return found

    def settle(self) -> None:
        time.sleep(self.settings.settle)

    # -- phases ------------------------------------------------------------------------------
    def run(self) -> Observations:
        """Every phase in order, with one bot process, then the extra start-up samples."""
        began = time.monotonic()
        obs = Observations(settings=self.settings)
        self.startup_and_idle_memory(obs)
        self.sequential_phase(obs)
        concurrent = self.concurrency_phase(obs)
        self.memory_phase(obs, concurrent)
        self.startup_samples(obs)
        self.style_phase(obs)
        self.media_phase(obs)
        self.collect(obs)
        obs.seconds = time.monotonic() - began
        return obs

    def startup_and_idle_memory(self, obs: Observations) -> None:
        self.progress("start-up and idle memory")
        self.bot, startup = self.start_bot()
        self.settle()
        status = self.bot.status()
        startup.rss_idle_kb = status["VmRSS"]
        obs.startups.append(startup)
        obs.rss_idle_kb, obs.rss_idle_hwm_kb = status["VmRSS"], status.get("VmHWM", 0)

    def sequential_phase(self, obs: Observations) -> None:
        assert self.bot is not None
        count = self.settings.messages
        self.progress(f"{count} sequential messages (new post, then a revision, per user)")
        cpu_before, own_before = cpu_seconds(self.bot.pid), time.process_time()
        obs.sequential = self.sequential(count)
        obs.bot_cpu_sequential = cpu_seconds(self.bot.pid) - cpu_before
        obs.bench_cpu_sequential = time.process_time() - own_before
        obs.jobs += len(obs.sequential)

    def concurrency_phase(self, obs: Observations) -> list[int]:
        """One user, then all the concurrent users at once; returns those users."""
        s = self.settings
        self.progress(f"concurrency: 1 user, then {s.users} users at once")
        self.ai.run_latency = s.concurrency_model_latency
        obs.single = self.burst([SINGLE_USER], topic=1000)[0]
        time.sleep(s.gap)
        concurrent = [CONCURRENT_BASE + i for i in range(s.users)]
        obs.concurrent = self.burst(concurrent, topic=2000)
        obs.jobs += 1 + len(obs.concurrent)
        self.ai.run_latency = s.model_latency
        return concurrent

    def memory_phase(self, obs: Observations, users: list[int]) -> None:
        """Revisions by `users` until the bot has run `memory_jobs` jobs, then read its RSS."""
        assert self.bot is not None
        rounds = 0
        while obs.jobs < self.settings.memory_jobs:
            batch = users[: self.settings.memory_jobs - obs.jobs]
            self.burst(batch, topic=2000, revision_round=rounds)
            obs.jobs += len(batch)
            rounds += 1
        self.progress(f"memory after {obs.jobs} jobs")
        self.settle()
        status = self.bot.status()
        obs.rss_after_jobs_kb = status["VmRSS"]
        obs.rss_after_jobs_hwm_kb = status.get("VmHWM", 0)
        self.bot.stop()

    def startup_samples(self, obs: Observations) -> None:
        """More start-ups, each a fresh bot process, until there are `startup_runs`."""
        runs = self.settings.startup_runs
        for run in range(1, runs):
            self.progress(f"start-up sample {run + 1} of {runs}")
            bot, startup = self.start_bot()
            self.bot = bot
            self.settle()
            startup.rss_idle_kb = bot.status()["VmRSS"]
            obs.startups.append(startup)
            bot.stop()

    def style_phase(self, obs: Observations) -> None:
        """6. A fresh bot process writes to a blog with posts: the same requests as the first
        sequential messages (same topics), so only what the bot learned from the blog differs.
        The process keeps running for phase 7."""
        count = self.settings.style_messages
        self.progress(
            f"model input: {count} messages to tests/blogs/{STYLE_BLOG}, a blog with posts"
        )
        files = blog_files(STYLE_BLOG)
        obs.repositories[STYLE_BLOG] = sorted(files)
        self.blog_github = BenchGitHub(files=files)
        self.blog_github.start()
        self.blog_github.api_latency = self.settings.api_latency
        self.bot, _ = self.start_bot(self.blog_github)
        obs.style = self.sequential(count, base=STYLE_BASE) if count > 0 else []

    def media_phase(self, obs: Observations) -> None:
        """7. Phase 6's process, the blog with posts (learned on phase 6's first message, or on a
        typed post here): a new post with each of MEDIA_IMAGES photos (an album), then voice
        notes revising the last one."""
        assert self.bot is not None
        s = self.settings
        self.progress(f"media: new posts with {MEDIA_IMAGES} photos, {s.voice_notes} voice notes")
        self.ai.speech_latency = s.speech_latency
        user = MEDIA_USER
        if not obs.style:  # the blog is learned on a process's first message: not counted here
            self.wait_final(user, self.send(user, new_request(MEDIA_TOPIC)))
        for count in MEDIA_IMAGES:
            self.wait_final(user, self.send(user, "/new"), marker="starts a new post")
            time.sleep(s.gap)
            sent = time.monotonic()
            photos = [media.photo(MEDIA_TOPIC + count * 10 + n) for n in range(count)]
            media.send_album(self.telegram, user, photos, new_request(MEDIA_TOPIC + count))
            obs.photo_posts.append(self.answered(user, sent, images=count))
        for index in range(s.voice_notes):
            sent = time.monotonic()
            media.send_voice(self.telegram, user, revision_request(MEDIA_TOPIC + 3, index))
            shown = self.wait_final(user, sent, marker="I heard:")
            obs.voice_notes.append(VoiceNote(self.answered(user, sent), shown))
        self.bot.stop()

    def answered(self, chat: int, sent: float, images: int = 0) -> Message:
        """The message sent at `sent`, once answered; the calls of the next 0.2 s are its too."""
        final = self.wait_final(chat, sent)
        time.sleep(0.2)
        kind = "photos" if images else "voice"
        return Message(kind, chat, sent, final, until=time.monotonic(), images=images)

    def collect(self, obs: Observations) -> None:
        """What the fakes and the bot's logs recorded over the whole run."""
        fakes = self.all_fakes()
        obs.spans = sorted(
            (span for fake in fakes for span in fake.all_spans()), key=lambda x: x.start
        )
        obs.fake_errors = [e for fake in fakes for e in fake.errors]
        obs.first_tokens = sorted(
            t for fake in fakes if isinstance(fake, BenchWorkersAI) for t in fake.first_tokens
        )
        obs.repositories = {
            "default": sorted(self.github.files(self.github.default_branch)),
            **obs.repositories,
        }
        obs.pull_requests = len(self.github.pulls())
        obs.pacing_waits = sum(
            path.read_text(errors="replace").count("pacing GitHub writes") for path in self.logs
        )

    def sequential(self, count: int, base: int = SEQUENTIAL_BASE) -> list[Message]:
        """User base+i sends a new post about topic i+1, then a revision of it, one at a time."""
        messages: list[Message] = []
        for index in range(count):
            user = base + index // 2
            topic = index // 2 + 1
            kind = "new" if index % 2 == 0 else "revision"
            text = new_request(topic) if kind == "new" else revision_request(topic)
            sent = self.send(user, text)
            final = self.wait_final(user, sent)
            if messages:
                messages[-1].until = sent
            messages.append(Message(kind, user, sent, final))
            time.sleep(self.settings.gap)
        time.sleep(0.2)  # calls that follow the last answer still belong to it
        if messages:
            messages[-1].until = time.monotonic()
        return messages

    def burst(
        self, users: list[int], *, topic: int, revision_round: int | None = None
    ) -> list[Message]:
        """Every user sends at once; returns when every user has the answer."""
        sent: dict[int, float] = {}
        for offset, user in enumerate(users):
            number = topic + offset
            text = (
                new_request(number)
                if revision_round is None
                else revision_request(number, revision_round)
            )
            sent[user] = self.send(user, text)
        kind = "new" if revision_round is None else "revision"
        messages = [Message(kind, u, sent[u], self.wait_final(u, sent[u])) for u in users]
        time.sleep(self.settings.gap)
        end = time.monotonic()
        for message in messages:
            message.until = end
        return messages


def dump_stacks(pid: int) -> str:
    """The bot's thread stacks when it hangs, if py-spy is installed (`pip install py-spy`)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return "(install py-spy to see the bot's thread stacks here)"
    try:
        done = subprocess.run(
            [spy, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"(py-spy dump failed: {exc})"
    return "The bot's threads (py-spy dump):\n" + (done.stdout or done.stderr)


def find_bot_child(pid: int, timeout: float = 5.0) -> int:
    """The python process under a wrapper (py-spy): the first child of `pid`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.05)
    return pid


@contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="blogbot-bench-") as tmp:
        yield Path(tmp)


def observe(
    settings: Settings,
    progress: Callable[[str], None] = lambda _: None,
    wrap: list[str] | None = None,
) -> Observations:
    # Quicker GIL hand-offs between the fakes' threads: less of their time lands in the numbers.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        with scratch_dir() as workdir, Harness(settings, workdir, progress, wrap) as harness:
            return harness.run()
    finally:
        sys.setswitchinterval(switch)
