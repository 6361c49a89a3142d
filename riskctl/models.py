"""Every model module, imported in one place so that Alembic's autogenerate and the
drift check see the whole schema whatever blueprints are registered."""

from riskctl.alerts import models as alert_models
from riskctl.assessment import models as assessment_models
from riskctl.attachments import models as attachment_models
from riskctl.auth import models as auth_models
from riskctl.controls import models as control_models
from riskctl.core import audit, calendar_store
from riskctl.education import models as education_models
from riskctl.meetings import models as meeting_models
from riskctl.org import models as org_models
from riskctl.process import models as process_models
from riskctl.risk import models as risk_models
from riskctl.supervision import models as supervision_models
from riskctl.workflow import models as workflow_models

__all__ = [
    "alert_models",
    "assessment_models",
    "attachment_models",
    "audit",
    "auth_models",
    "calendar_store",
    "control_models",
    "education_models",
    "meeting_models",
    "org_models",
    "process_models",
    "risk_models",
    "supervision_models",
    "workflow_models",
]
