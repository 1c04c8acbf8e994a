"""How passwords are hashed: Argon2id at OWASP's minimum memory and iterations, two lanes.

OWASP's Password Storage Cheat Sheet gives, as its first Argon2id configuration, 19 MiB of
memory, 2 iterations and 1 degree of parallelism. Django's own defaults (100 MiB, 2
iterations, 8 lanes) cost about ten times the CPU for each hash on this project's 2-core
server, so a burst of sign-ins (Monday morning, a reminder email going out) queued behind the
hashing; ``docs/threat-model.md`` says why the minimum is enough here: sign-in is also
rate-limited per account and per network, and staff must pass MFA.

The memory is filled in two lanes instead of one. The work is the same (the same 19 MiB
passed over twice, about 20 ms of one core here), but libargon2 fills the lanes on two
threads, so when the other core is free a person waits about 12 ms for the hash instead of
about 20 (``docs/performance.md``, "Sign-in"). More lanes do not lower the cost of a guess:
an attacker computes every lane of every guess all the same, and RFC 9106's own recommended
settings use four.

The algorithm's name is Django's (``argon2``), so a hash made with other parameters (the
portal's earlier single lane, Django's defaults) still verifies, and Django re-hashes it
with these at that person's next sign-in (``must_update``).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id with m=19 MiB and t=2 (OWASP's minimum) in p=2 lanes; see the module
    docstring."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 2
