"""Typed errors of case transitions; each ``code`` is what the API shows in ``userErrors``."""

from __future__ import annotations

from core.errors import DoudiError


class CaseError(DoudiError):
    """Base of every refused case transition (nothing is changed or recorded)."""

    code = "CASE_ERROR"
    field: str | None = None  # the input the refusal points at, when always the same


class InvalidTransition(CaseError):
    """The step does not follow from the case's state (or does not exist for its program)."""

    code = "INVALID_TRANSITION"


class WrongLevel(CaseError):
    """A staff role that acts on cases, but not the one (township, county ...) for this step."""

    code = "WRONG_LEVEL"


class CaseForbidden(CaseError):
    """A role that never acts on cases, or a case outside the actor's jurisdiction."""

    code = "FORBIDDEN"


class RecusalRequired(CaseError):
    """The actor is a near relative of the applicant: someone else must act (回避)."""

    code = "RECUSAL_REQUIRED"


class VerificationRequired(CaseError):
    """Economic-status verification (核对) must pass before confirmation (逢进必核)."""

    code = "VERIFICATION_REQUIRED"


class CountyVisitRequired(CaseError):
    """A filed near-relative case needs the county's own home visit before confirmation."""

    code = "COUNTY_VISIT_REQUIRED"


class HomeVisitRequired(CaseError):
    """The policy requires a home visit (入户调查) first: of every new applicant, or after a
    reported or verified change before a review stops, reduces or raises the benefit
    (``dibao.review.home_visit_after_change``); none is recorded."""

    code = "HOME_VISIT_REQUIRED"


class AppraisalRequired(CaseError):
    """A democratic appraisal (民主评议) the policy requires before this decision is not
    recorded (``dibao.single_person.assessment_means``)."""

    code = "APPRAISAL_REQUIRED"


class OwnApplicationRequired(CaseError):
    """Single-person enrolment (单人户) of a member who has not applied on their own (经本人申请)
    where ``dibao.single_person.own_application_required`` holds."""

    code = "OWN_APPLICATION_REQUIRED"


class SpotCheckRequired(CaseError):
    """The county selected this case for its spot-check; it must be done first."""

    code = "SPOT_CHECK_REQUIRED"


class PublicityNotOver(CaseError):
    """The publicity (公示) period has not ended yet."""

    code = "PUBLICITY_NOT_OVER"


class TooFewInvestigators(CaseError):
    code = "TOO_FEW_INVESTIGATORS"


class ReasonsRequired(CaseError):
    """A rejection (or an exit found ineligible, or a spot-check overturning) needs reasons."""

    code = "REASONS_REQUIRED"


class PhaseOutTooLong(CaseError):
    code = "PHASE_OUT_TOO_LONG"


class PhaseOutTooShort(CaseError):
    code = "PHASE_OUT_TOO_SHORT"


class PhaseOutNotAllowed(CaseError):
    """The phase-out is not over, or early exit on stable income is not provided for."""

    code = "PHASE_OUT_NOT_OVER"


class PhaseOutRefused(CaseError):
    """A phase-out (渐退期) the rules do not allow here: income not over the standard, the cause
    the document names not shown, no self-report where one is required, or no phase-out at all."""

    code = "PHASE_OUT_NOT_ALLOWED"


class ChoiceRequired(CaseError):
    """The rules leave the outcome to the official (a phase-out or an exit): say which."""

    code = "CHOICE_REQUIRED"
    field = "outcome"


class RefusedWorkBelowLimit(CaseError):
    code = "REFUSED_WORK_BELOW_LIMIT"


class NotEligible(CaseError):
    """The eligibility engine does not find the household eligible (or cannot decide)."""

    code = "NOT_ELIGIBLE"


class PolicyNotSet(CaseError):
    """A parameter the step needs is not set for the case's county on that date."""

    code = "POLICY_NOT_SET"


class VersionConflict(CaseError):
    """The case changed since it was read (``expectedVersion`` is stale): nothing was written."""

    code = "VERSION_CONFLICT"


class CaseNotFound(CaseError):
    code = "NOT_FOUND"


class MemberNotFound(CaseNotFound):
    """The ID number given is not a member of the case's household."""

    field = "idNumber"


class AmountTooHigh(CaseError):
    """An amount set by hand above the one the eligibility engine computes."""

    code = "AMOUNT_TOO_HIGH"
    field = "monthlyAmount"


class HeadNotChanged(CaseError):
    """The household's head died: the stored household must name a living head first."""

    code = "HEAD_NOT_CHANGED"


class PaymentAccountRequired(CaseError):
    """The stored household has no payment account (一卡通), or its holder died."""

    code = "PAYMENT_ACCOUNT_REQUIRED"


class DuplicateCase(CaseError):
    """The household already has an open case of that program."""

    code = "DUPLICATE_CASE"
    field = "program"


__all__ = [
    "AmountTooHigh",
    "CaseError",
    "CaseForbidden",
    "CaseNotFound",
    "CountyVisitRequired",
    "DuplicateCase",
    "HeadNotChanged",
    "InvalidTransition",
    "MemberNotFound",
    "NotEligible",
    "PaymentAccountRequired",
    "PhaseOutNotAllowed",
    "PhaseOutTooLong",
    "PhaseOutTooShort",
    "PolicyNotSet",
    "PublicityNotOver",
    "ReasonsRequired",
    "RecusalRequired",
    "RefusedWorkBelowLimit",
    "SpotCheckRequired",
    "TooFewInvestigators",
    "VerificationRequired",
    "VersionConflict",
    "WrongLevel",
]
