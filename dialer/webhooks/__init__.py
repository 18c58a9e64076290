"""Outgoing webhooks and CRM calls (issue 18).

- :mod:`.core` (pure): event types, the envelope, signing and verification (HMAC-SHA256 over ``timestamp.body``),
  the retry schedule (exponential backoff with jitter), the SSRF allow-list, CRM URL templates.
- ``dialer.store.webhooks``: subscriptions and the durable outbox (rows written in the same transaction as the
  event they announce), claims with leases, per-lead order.
- :mod:`.worker` (edge): the delivery worker (bounded concurrency, timeouts), started by the app's cleanup_ctx.

The payloads are documented in ``docs/webhooks.md`` (AsyncAPI style).
"""
