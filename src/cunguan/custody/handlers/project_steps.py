"""What every use case of the lending cycle shares (``Projects``, ``Lending``, ``Repayments``,
``Claims``, ``Plans`` inherit it): requests about projects run set-based (a single request
is a call of one), and a project's row read and written."""

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from cunguan.core.errors import CunguanError
from cunguan.custody.handlers.base import (
    CustodyResult,
    Data,
    Gate,
    by_rounds,
)
from cunguan.custody.handlers.common import CustodyCommon
from cunguan.custody.rules import fields as custody_fields
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import projects as project_rows
from cunguan.db.connection import Connection


class OnProject(Protocol):
    """A request about one project (a bid, its registration, a step of its life) of an
    operation with a set-based form."""

    @property
    def request_no(self) -> str: ...
    @property
    def project_id(self) -> str: ...
    def check(self) -> None: ...
    def content(self) -> Data: ...


P = TypeVar("P", bound=OnProject)
#: The set-based work of an operation: the requests' outcomes, in their order.
Work = Callable[[Connection, str, Sequence[P]], list[Data | CunguanError]]


def project_of(request: OnProject) -> str:
    return request.project_id


def need_project(projects: dict[str, Any], project_id: str) -> Any:
    """The project read set-based, or refused as not found."""
    project = projects.get(project_id)
    if project is None:
        raise CustodyError(Refusal.PROJECT_NOT_FOUND, f"no project_id {project_id}")
    return project


class ProjectSteps(CustodyCommon):
    """The steps the lending cycle's mixins share."""

    def _steps_many(self, tenant_id: str, operation: str, steps: Sequence[P], work: Work[P],
                    overrides: dict[str, custody_fields.Check] | None = None,
                    gate: Gate | None = None) -> list[CustodyResult]:
        """Requests about many projects in one call; those about the same project run one
        after the other (``by_rounds``)."""
        def in_rounds(conn: Connection, tenant: str, new: list[P]) -> list[Data | CunguanError]:
            return by_rounds(new, project_of, lambda chosen: work(conn, tenant, chosen))
        return self.records_many(tenant_id, operation, steps, in_rounds, gate, overrides)

    def _project(self, conn: Connection, tenant_id: str, project_id: str, *,
                 lock: bool = True) -> Any:
        project = project_rows.project(conn, tenant_id, project_id, lock=lock)
        if project is None:
            raise CustodyError(Refusal.PROJECT_NOT_FOUND, f"no project_id {project_id}")
        return project

    def _set_project(self, conn: Connection, tenant_id: str, project_id: str,
                     **values: Any) -> None:
        project_rows.set_many(conn, tenant_id, [{"project_id": project_id, **values}])
