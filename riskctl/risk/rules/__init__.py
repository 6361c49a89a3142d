"""The rule registry: every rule the scan runs, by code, in a stable order."""

from __future__ import annotations

from riskctl.risk.rules.assessment import AssessmentPointsLost
from riskctl.risk.rules.base import Context, Param, Rule, Signal
from riskctl.risk.rules.controls import CrossItemIncompatible, IncompatiblePosts
from riskctl.risk.rules.education import EducationOverdue
from riskctl.risk.rules.handling import IrregularHandling
from riskctl.risk.rules.meetings import (
    ChairNotLast,
    DecisionWithoutMeeting,
    InterestedMemberVoted,
    QuorumMissing,
    TopicsLate,
)
from riskctl.risk.rules.platform import PlatformUnused
from riskctl.risk.rules.procurement import (
    JustUnderThreshold,
    LateContract,
    LateFiling,
    LatePublication,
    LateSmePayment,
    ShortTenderPeriod,
    SingleBidder,
    Splitting,
    SupplementExcess,
    SupplierConcentration,
)
from riskctl.risk.rules.supervision import RectificationOverdue, TalkOverdue
from riskctl.risk.rules.timing import ItemOverdue, StepOverdue
from riskctl.risk.rules.works import (
    ChangeOrderExcess,
    DisposalBelowAppraisal,
    DisposalWithoutCollectiveDecision,
    LateFinalAccounts,
    PaymentBeforeAcceptance,
    PaymentOverBudget,
)

REGISTRY: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        IncompatiblePosts(),
        CrossItemIncompatible(),
        StepOverdue(),
        ItemOverdue(),
        IrregularHandling(),
        JustUnderThreshold(),
        Splitting(),
        SingleBidder(),
        ShortTenderPeriod(),
        LateContract(),
        LatePublication(),
        LateFiling(),
        LateSmePayment(),
        SupplementExcess(),
        SupplierConcentration(),
        ChangeOrderExcess(),
        PaymentBeforeAcceptance(),
        LateFinalAccounts(),
        DisposalBelowAppraisal(),
        DisposalWithoutCollectiveDecision(),
        PaymentOverBudget(),
        DecisionWithoutMeeting(),
        QuorumMissing(),
        ChairNotLast(),
        InterestedMemberVoted(),
        TopicsLate(),
        PlatformUnused(),
        TalkOverdue(),
        RectificationOverdue(),
        AssessmentPointsLost(),
        EducationOverdue(),
    )
}

__all__ = ["REGISTRY", "Context", "Param", "Rule", "Signal"]
