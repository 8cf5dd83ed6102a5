"""Workers AI: token, account and model, proven by one search of the model catalogue."""

from __future__ import annotations

from typing import Any

import httpx

from bot.adapters.workers_ai import first_error
from bot.checks.results import TIMEOUT_SECONDS, CheckResult, failed, passed
from bot.config import Settings

ACCESS = "Workers AI access"
MODEL = "Workers AI model"
SPEECH_MODEL = "Workers AI speech model"
TEXT_TASK = "text generation"
SPEECH_TASK = "automatic speech recognition"
CATALOGUE = "https://developers.cloudflare.com/workers-ai/models/"


async def check_workers_ai(
    settings: Settings, http: httpx.AsyncClient | None = None, *, speech: bool = True
) -> list[CheckResult]:
    """One catalogue search proves token, account and model: running the model would cost
    neurons from the daily allocation."""
    own_client = http is None
    client = http or httpx.AsyncClient(
        timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=10.0),
        transport=httpx.AsyncHTTPTransport(retries=2),  # connection failures only
    )
    try:
        results = await _search_model(settings, client)
        if speech and all(r.status == "PASS" for r in results):
            results.append(await _speech_model(settings, client))
        return results
    finally:
        if own_client:
            await client.aclose()


async def _search_model(settings: Settings, client: httpx.AsyncClient) -> list[CheckResult]:
    try:
        response = await _search(settings, client, settings.ai_model)
    except httpx.HTTPError as exc:
        return [
            failed(
                ACCESS,
                f"could not reach {settings.cloudflare_api_url} ({type(exc).__name__})",
                "Check the network connection and CLOUDFLARE_API_URL, then run the check again.",
                transient=True,
            )
        ]
    return _read_search(settings, response)


async def _search(settings: Settings, client: httpx.AsyncClient, model: str) -> httpx.Response:
    account = settings.cloudflare_account_id
    url = f"{settings.cloudflare_api_url}/accounts/{account}/ai/models/search"
    # The catalogue search matches names by substring; the last path segment matches whatever
    # the search does with "@cf/" prefixes, and the exact name is compared afterwards.
    term = model.rsplit("/", 1)[-1]
    headers = {"Authorization": f"Bearer {settings.cloudflare_api_token.get_secret_value()}"}
    return await client.get(url, params={"search": term}, headers=headers)


async def _speech_model(settings: Settings, client: httpx.AsyncClient) -> CheckResult:
    """The model that hears voice notes (AI_SPEECH_MODEL), in the same catalogue."""
    try:
        payload: Any = (await _search(settings, client, settings.ai_speech_model)).json()
    except (httpx.HTTPError, ValueError) as exc:
        return failed(
            SPEECH_MODEL,
            f"could not search the catalogue for {settings.ai_speech_model} ({type(exc).__name__})",
            "Run the check again in a few minutes.",
            transient=True,
        )
    found = payload.get("result") if isinstance(payload, dict) else None
    return _model_result(
        settings.ai_speech_model, found, row=SPEECH_MODEL, setting="AI_SPEECH_MODEL",
        task=SPEECH_TASK,
    )  # fmt: skip


def _read_search(settings: Settings, response: httpx.Response) -> list[CheckResult]:
    try:
        payload: Any = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return [
            failed(
                ACCESS,
                f"Cloudflare answered HTTP {response.status_code} with a non-JSON body",
                "Try again in a few minutes; if it persists, check CLOUDFLARE_API_URL.",
                transient=True,
            )
        ]
    refused = _search_refused(settings, response.status_code, payload)
    if refused is not None:
        return [refused]
    results = [passed(ACCESS, f"API token accepted for account {settings.cloudflare_account_id}")]
    results.append(_model_result(settings.ai_model, payload.get("result")))
    return results


def _search_refused(settings: Settings, status: int, payload: dict[str, Any]) -> CheckResult | None:
    """The failure row when Cloudflare refused the search, else None."""
    account = settings.cloudflare_account_id
    code, message = first_error(payload)
    where = f"HTTP {status}" + (f", code {code}" if code is not None else "")
    if status in (401, 403) or code == 10000:
        return failed(
            ACCESS,
            f"Cloudflare rejected CLOUDFLARE_API_TOKEN ({where})",
            "In the Cloudflare dashboard, My Profile -> API Tokens -> Create Token -> the "
            '"Workers AI" template (Workers AI Read and Edit permissions); put the new token '
            "in CLOUDFLARE_API_TOKEN.",
        )
    if status == 404 or code == 7003:
        return failed(
            ACCESS,
            f"Cloudflare does not know account {account} ({where})",
            "Copy the Account ID shown on the right of the Workers & Pages overview in the "
            "Cloudflare dashboard into CLOUDFLARE_ACCOUNT_ID.",
        )
    if status >= 400 or payload.get("success") is False:
        return failed(
            ACCESS,
            f"Cloudflare answered {where}: {message}",
            "Try again in a few minutes; if it persists, check CLOUDFLARE_API_URL.",
            transient=status >= 500 or status == 429,
        )
    return None


def _model_result(
    model: str,
    found: Any,
    *,
    row: str = MODEL,
    setting: str = "AI_MODEL",
    task: str = TEXT_TASK,
) -> CheckResult:
    models = [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []
    match = next((m for m in models if m.get("name") == model), None)
    kind = "text-generation" if task == TEXT_TASK else "speech-recognition"
    if match is None:
        fix = f"Set {setting} to a {kind} model from {CATALOGUE}"
        similar = [str(m.get("name")) for m in models if m.get("name")][:3]
        if similar:
            fix += " (similar names: " + ", ".join(similar) + ")"
        return failed(row, f"{model} is not in the Workers AI model catalogue", fix + ".")
    found_task = match.get("task")
    task_name = str(found_task.get("name") or "") if isinstance(found_task, dict) else ""
    if task_name and task_name.lower() != task:
        return failed(
            row,
            f"{model} is a {task_name} model, not a {kind} model",
            f"Set {setting} to a {kind} model from {CATALOGUE}.",
        )
    return passed(row, f"{model} ({task_name or 'task unknown'})")
