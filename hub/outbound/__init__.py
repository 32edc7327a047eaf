"""Calls to the outside: POS vendors through the client here, REST hooks (hub.hooks) under the same policy.

- policy: which URLs and addresses may be called (public ones, or hosts allow-listed by the operator).
- client: the requests session connectors use: one check and one pinned connection per request, no
  redirects, capped answers; built from pinning (the transport adapter) and reading (the caps).
- failures: the refusals the client raises, and a description of a failed call without URL or secrets.
- redact: removing credentials from error texts.
- soap: the zeep transport and settings built on the client.
"""
