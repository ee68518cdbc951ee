"""The appliance's accounts and its eight logs, as the manual's LOGGING chapter describes them.

Fields are declared in the manual's order, enumerations spelled as the manual spells them.
Every log row keeps the account name it arrived with and, beside it, a nullable link to
the Account: deleting or renaming an account loses no log row.

One module per concern; every name is imported here, where the rest of the console (and
the migrations) look for it.
"""

from .accounts import Account, AccountGroup
from .base import CodeField, EndpointField, LogRecord, ManualChoices
from .calls import (
    DIRECT_CALL_TYPES,
    AccountCallDay,
    AccountCallTotal,
    AccountCallWeek,
    CallDetailRecord,
    CallType,
    Disposition,
    HangupCause,
    SipEvent,
    SipSessionEvent,
)
from .console import (
    CdrPeriod,
    CdrPolicy,
    ConsoleUserProfile,
    IngestToken,
    ListColumns,
    OutboxState,
    SavedView,
    SiemOutbox,
)
from .events import (
    ANONYMOUS_PRINCIPAL,
    Level,
    SecurityEvent,
    SourceLog,
    SystemEvent,
    SystemEventType,
    WebSessionEvent,
    WebSessionEventType,
    source_log_choices,
)
from .figures import CallDimension, CallHour, LogHour
from .messages import (
    ActivationMessage,
    InstallMessage,
    MessageType,
    SecureMessage,
    SecureMessageStatus,
    Variant,
)

__all__ = [
    "ANONYMOUS_PRINCIPAL",
    "DIRECT_CALL_TYPES",
    "Account",
    "AccountCallDay",
    "AccountCallTotal",
    "AccountCallWeek",
    "AccountGroup",
    "ActivationMessage",
    "CallDetailRecord",
    "CallDimension",
    "CallHour",
    "CallType",
    "CdrPeriod",
    "CdrPolicy",
    "CodeField",
    "ConsoleUserProfile",
    "Disposition",
    "EndpointField",
    "HangupCause",
    "IngestToken",
    "InstallMessage",
    "Level",
    "ListColumns",
    "LogHour",
    "LogRecord",
    "ManualChoices",
    "MessageType",
    "OutboxState",
    "SavedView",
    "SecureMessage",
    "SecureMessageStatus",
    "SecurityEvent",
    "SiemOutbox",
    "SipEvent",
    "SipSessionEvent",
    "SourceLog",
    "SystemEvent",
    "SystemEventType",
    "Variant",
    "WebSessionEvent",
    "WebSessionEventType",
    "source_log_choices",
]
