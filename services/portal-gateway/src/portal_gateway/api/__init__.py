"""The public JSON API (v1), one controller module per area."""

from ..domain.packages.api import PackageController
from ..domain.staffing.api import StaffingController
from .accounts import OrganizationController, UserController
from .agents import AgentController
from .assignment import AssignmentController
from .attachments import AttachmentController
from .auth import AuthController, MeController
from .categories import CategoryController
from .incidents import IncidentController
from .notifications import NotificationController, NotificationPreferenceController
from .ops import OpsController, OpsPageController
from .sla import SLA_CONTROLLERS

CONTROLLERS = [
    NotificationPreferenceController,
    NotificationController,
    AuthController,
    MeController,
    IncidentController,
    AttachmentController,
    CategoryController,
    UserController,
    OrganizationController,
    AgentController,
    AssignmentController,
    OpsController,
    OpsPageController,
    *SLA_CONTROLLERS,
    StaffingController,
    PackageController,
]

__all__ = ["CONTROLLERS"]
