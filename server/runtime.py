"""What the transport layer works with once the lifespan has opened it."""

from __future__ import annotations

from dataclasses import dataclass, field

from rooms.errors import Unavailable
from rooms.ports import ObjectStore, ProjectStore
from rooms.projects import ProjectService
from server.auth import TokenVerifier
from server.settings import Settings


@dataclass
class Runtime:
    """Filled by the lifespan at start, emptied at shutdown; handlers read it."""

    settings: Settings
    verifier: TokenVerifier
    documents: ProjectStore | None = None
    objects: ObjectStore | None = None
    _projects: ProjectService | None = field(default=None, repr=False)

    def attach(self, documents: ProjectStore, objects: ObjectStore) -> None:
        self.documents = documents
        self.objects = objects
        self._projects = ProjectService(documents)

    def detach(self) -> None:
        self.documents = self.objects = self._projects = None

    @property
    def projects(self) -> ProjectService:
        if self._projects is None:
            raise Unavailable("backend.unavailable", backend="documents")
        return self._projects
