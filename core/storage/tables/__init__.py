"""The database schema as SQLAlchemy 2 tables, one module per context (the migrations in
``core/storage/migrations`` build the same). Importing this package registers every table on
:data:`Base.metadata`.
"""

from core.storage.tables.access import TokenRow, UserRow
from core.storage.tables.audit import AuditEntryRow, AuditHeadRow, AuditLegacyRow
from core.storage.tables.base import (
    CODE,
    ID_NUMBER,
    NAMING_CONVENTION,
    ROLES,
    Base,
    JsonDocument,
    UTCDateTime,
    utcnow,
)
from core.storage.tables.bulk import ReviewProgressRow, ReviewRunRow, ReviewTaskRow
from core.storage.tables.cases import (
    CaseAuditHeadRow,
    CaseEventRow,
    CaseRow,
    SpotCheckTallyRow,
)
from core.storage.tables.exchange import (
    FINDING_STATUSES,
    LOW_INCOME_STATUSES,
    ComparisonRunRow,
    DataAccessRow,
    DepartmentBatchRow,
    FindingRow,
    LowIncomeEventRow,
    LowIncomePersonRow,
    RegisterImportRow,
    VerificationReportRow,
)
from core.storage.tables.holidays import (
    HOLIDAY_AUDIT_ACTIONS,
    HolidayTableAuditRow,
    HolidayTableRow,
)
from core.storage.tables.households import DecisionRow, HouseholdRow, MemberRow
from core.storage.tables.payments import (
    PAYMENT_STATUSES,
    RESULT_STATUSES,
    PaymentResultRow,
    PaymentRow,
    PaymentRunRow,
)
from core.storage.tables.policy import LocalSettingAuditRow, LocalSettingRow, RevisionRow

__all__ = [
    "CODE",
    "FINDING_STATUSES",
    "HOLIDAY_AUDIT_ACTIONS",
    "ID_NUMBER",
    "LOW_INCOME_STATUSES",
    "NAMING_CONVENTION",
    "PAYMENT_STATUSES",
    "RESULT_STATUSES",
    "ROLES",
    "AuditEntryRow",
    "AuditHeadRow",
    "AuditLegacyRow",
    "Base",
    "CaseAuditHeadRow",
    "CaseEventRow",
    "CaseRow",
    "ComparisonRunRow",
    "DataAccessRow",
    "DecisionRow",
    "DepartmentBatchRow",
    "FindingRow",
    "HolidayTableAuditRow",
    "HolidayTableRow",
    "HouseholdRow",
    "JsonDocument",
    "LocalSettingAuditRow",
    "LocalSettingRow",
    "LowIncomeEventRow",
    "LowIncomePersonRow",
    "MemberRow",
    "PaymentResultRow",
    "PaymentRow",
    "PaymentRunRow",
    "RegisterImportRow",
    "ReviewProgressRow",
    "ReviewRunRow",
    "ReviewTaskRow",
    "RevisionRow",
    "SpotCheckTallyRow",
    "TokenRow",
    "UTCDateTime",
    "UserRow",
    "VerificationReportRow",
    "utcnow",
]
