"""Field-level encryption: the envelope format, key providers, data keys and fields.

Read ``docs/key-management.md`` first. In one breath: every encrypted value is AES-256-GCM
under its owner's data key, bound by associated data to model, field and row; data keys are
stored wrapped by a master key that lives outside the database.
"""
