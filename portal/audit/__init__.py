"""The audit trail: append-only, HMAC-chained events of who did what to whose record.

``record_event`` (in ``portal.audit.service``) is the one way in; views never call it
themselves, they decrypt through ``audited_read`` (in ``portal.audit.reads``), which records
the opening in the same call. ``verify_chain`` (in ``portal.audit.verify``) walks the chain
and names the first broken event.
"""
