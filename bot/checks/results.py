"""The rows of the check table, and the table itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.logs import RedactingFormatter

Status = Literal["PASS", "WARN", "FAIL"]

TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class CheckResult:
    check: str
    status: Status
    detail: str
    fix: str | None = None
    # A failure that may pass by itself (network down, service overloaded), as opposed to a
    # setting that is wrong: the bot starts anyway after a transient one.
    transient: bool = False


def passed(check: str, detail: str) -> CheckResult:
    return CheckResult(check, "PASS", detail)


def failed(check: str, detail: str, fix: str, *, transient: bool = False) -> CheckResult:
    return CheckResult(check, "FAIL", detail, fix, transient)


def warned(check: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(check, "WARN", detail, fix)


def all_passed(results: Sequence[CheckResult]) -> bool:
    """WARN rows are advice, not blockers: only a FAIL fails the check."""
    return not any(r.status == "FAIL" for r in results)


def format_table(results: Sequence[CheckResult], secrets: Sequence[str] = ()) -> str:
    """Aligned plain-text columns; a `fix:` line under every row that needs action."""
    header = ("CHECK", "RESULT", "DETAIL")
    check_width = max(len(header[0]), *(len(r.check) for r in results))
    result_width = len(header[1])
    indent = " " * (check_width + result_width + 4)

    def row(check: str, result: str, detail: str) -> str:
        return f"{check:<{check_width}}  {result:<{result_width}}  {detail}".rstrip()

    lines = [row(*header)]
    for result in results:
        lines.append(row(result.check, result.status, result.detail))
        if result.fix and result.status != "PASS":
            lines.append(f"{indent}fix: {result.fix}")
    failures = sum(r.status == "FAIL" for r in results)
    warnings = sum(r.status == "WARN" for r in results)
    lines.append("")
    if failures:
        lines.append(
            f"{failures} check{'s' if failures != 1 else ''} failed"
            + (f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else "")
            + ": apply the fixes above, then run `python -m bot check` again."
        )
    elif warnings:
        lines.append(f"All checks passed, with {warnings} warning{'s' if warnings != 1 else ''}.")
    else:
        lines.append(f"All {len(results)} checks passed.")
    return RedactingFormatter(secrets).redact("\n".join(lines))
