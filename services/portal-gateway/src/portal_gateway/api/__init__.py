"""The public JSON API (v1), one controller module per area."""

from .auth import AuthController, MeController
from .incidents import IncidentController

CONTROLLERS = [AuthController, MeController, IncidentController]

__all__ = ["CONTROLLERS"]
