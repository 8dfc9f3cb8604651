"""SMS through the provider's HTTP API (DESK_SMS_URL, DESK_SMS_TOKEN): a generic JSON
API taking POST {"to": ..., "text": ...} with a bearer token. SMS is off when no URL is
set. The text is already cut to fit (see sms_segments)."""

from __future__ import annotations

import httpx
from desk_runtime.settings import DeskSettings

from . import sms_segments
from .email import DeliveryFailed

TIMEOUT = httpx.Timeout(15.0, connect=5.0)


def sms_enabled(settings: DeskSettings) -> bool:
    return bool(settings.sms.url)


async def send_sms(
    settings: DeskSettings, client: httpx.AsyncClient, *, to: str, text: str, message_key: str
) -> str:
    """Hand one text to the provider; its answer is returned for the delivery log.
    4xx other than 408/429 are permanent (the request itself is wrong); the rest retry."""
    if not settings.sms.url:
        raise DeliveryFailed("SMS is not configured (DESK_SMS_URL is unset)", permanent=True)
    headers = {"Idempotency-Key": message_key}
    if settings.sms.token:
        headers["Authorization"] = f"Bearer {settings.sms.token}"
    try:
        response = await client.post(
            settings.sms.url, json={"to": to, "text": text}, headers=headers, timeout=TIMEOUT
        )
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
    answer = f"{response.status_code} {response.text[:500]}".strip()
    if response.is_success:
        return f"{answer} ({sms_segments.segment_count(text)} segment(s))"
    permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
    raise DeliveryFailed(answer, permanent=permanent)
