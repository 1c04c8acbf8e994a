"""The audit trail: append-only, HMAC-chained events of who did what to whose record.

``record_event`` (in ``portal.audit.service``) is the one way in; ``verify_chain`` (in
``portal.audit.verify``) walks the chain and names the first broken event.
"""
