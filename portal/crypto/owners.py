"""Key owners: whose data key seals a value, named as ``(kind, id)``.

A client's values are sealed under their own data key; the practice's own texts under the
practice key (owner id all zeros).
"""

from __future__ import annotations

import uuid

Owner = tuple[str, uuid.UUID]
OWNER_CLIENT, OWNER_PRACTICE = "client", "practice"
PRACTICE_OWNER_ID = uuid.UUID(int=0)
PRACTICE_OWNER: Owner = (OWNER_PRACTICE, PRACTICE_OWNER_ID)


def client_owner(user_id: uuid.UUID | str) -> Owner:
    """The owner naming the client whose account id is ``user_id``."""
    return (OWNER_CLIENT, user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id)))
