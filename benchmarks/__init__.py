"""Benchmarks of field encryption: ``PORTAL_ENV=test .venv/bin/python -m benchmarks``.

One run measures, on the configured database (a throwaway copy of it, never the real one):

* writing and reading 10,000 rows of ten text fields as plain ``TextField``, as our
  ``EncryptedTextField`` and as the peer package's (django-fernet-encrypted-fields), with the
  ratios between them (``benchmarks.fields``);
* ``rotate_keys`` on 100,000 rows: re-wrapping the data keys under a new master key, then
  re-encrypting every owner's rows under new data keys (``benchmarks.rotation``);
* the task queue: one worker's tasks a second, a no-op task and a real email to a local mail
  sink, beside a plain INSERT rate (``benchmarks.queue``; alone with ``--queue-only``).

Progress and human-readable figures go to stderr; the last line on stdout is one JSON object.
Benchmarks never fail on time: the exit status is non-zero only when a correctness check fails
(values read back differ from what was written, a column that should hold ciphertext does
not, or an email was not sent exactly once).
"""
