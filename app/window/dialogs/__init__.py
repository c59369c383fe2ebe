"""The window's dialogs, one module each, and :class:`Prompter`, which asks through them."""

from .about import AboutDialog, environment_report
from .export_dialog import ExportChoices, ExportDialog
from .file_filters import IMAGE_FILTER, PROJECT_FILTER
from .import_dialog import ImportDialog
from .preferences import PreferencesDialog
from .prompter import Prompter
from .recovery_dialog import RecoveryDialog
from .shortcuts import ShortcutsDialog

__all__ = [
    "Prompter", "PreferencesDialog", "AboutDialog", "ShortcutsDialog", "ExportDialog",
    "ExportChoices", "ImportDialog", "RecoveryDialog", "PROJECT_FILTER",
    "IMAGE_FILTER", "environment_report",
]
