"""The product's own error types.

Every message is one or two sentences written for the person who uploaded the file or
typed the command: it names the file, row or column at fault and says what to do. Pages
show them with ``st.error``; the command line prints them and exits non-zero.
"""


class JourneyLedgerError(Exception):
    """Base of every error the product reports to its users."""


class BadUpload(JourneyLedgerError):
    """The uploaded file cannot be read as an event export."""


class MappingError(JourneyLedgerError):
    """The column mapping does not fit the file."""


class StageMapError(JourneyLedgerError):
    """The stage map (TOML) is invalid."""


class DatasetNotFound(JourneyLedgerError):
    """No dataset of that name in the workspace."""


class WorkspaceError(JourneyLedgerError):
    """The workspace cannot be opened or changed as asked."""
