"""The one way a builder page finds its objects: a practice admin's drafts and versions.

Both are practice data, reached only by people with ``portal.manage_questionnaires`` (the
views say so with ``permission_or_404``); anything else, or an id that names nothing, is a
404.
"""

from __future__ import annotations

import uuid

from django.http import Http404

from intake.models import QuestionnaireDraft, QuestionnaireVersion
from portal.models import User


def _may_manage(user: User) -> bool:
    return user.is_authenticated and user.has_perm("portal.manage_questionnaires")


def draft_or_404(user: User, draft_id: uuid.UUID) -> QuestionnaireDraft:
    """The draft ``draft_id`` for someone who may manage questionnaires; 404 otherwise."""
    if not _may_manage(user):
        raise Http404
    draft = QuestionnaireDraft.objects.select_related("based_on").filter(pk=draft_id).first()
    if draft is None:
        raise Http404
    return draft


def version_or_404(user: User, version_id: uuid.UUID) -> QuestionnaireVersion:
    """The published version ``version_id`` for someone who may manage questionnaires;
    404 otherwise."""
    if not _may_manage(user):
        raise Http404
    version = QuestionnaireVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise Http404
    return version
