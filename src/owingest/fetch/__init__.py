"""Fetching: every HTTP rule lives here; nothing past this package sees an httpx type."""

from owingest.fetch.fetcher import RETRYABLE_STATUSES, Fetcher, build_transport
from owingest.fetch.guard import is_public_address
from owingest.fetch.replay import ReplayTransport

__all__ = ["RETRYABLE_STATUSES", "Fetcher", "ReplayTransport", "build_transport", "is_public_address"]
