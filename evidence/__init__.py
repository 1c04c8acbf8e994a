"""``make evidence``: proof that the portal holds under load and that its backups restore.

``python -m evidence`` runs each part in ``evidence.__main__.PARTS`` in order against a fresh
PostgreSQL database and freshly generated keys, then writes docs/evidence.md. A part is a
function taking the run's ``Context`` and returning a ``PartResult`` (its markdown section
and its targets; ``ok`` when every correctness target holds). Importing any module of this
package starts nothing: the work happens in ``main`` and in child processes.
"""
