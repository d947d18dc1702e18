"""Errors of the feed store, with messages the CLI shows in French or English.

Each message is an English gettext id with ``%(name)s`` placeholders, marked with ``N_`` where it is
raised; ``str(error)`` is the English text, ``error.localized(lang)`` the translated one.
"""

from __future__ import annotations

from hygie.core.errors import HygieError
from hygie.core.i18n import gettext


class FeedError(HygieError):
    """A feed operation failed; nothing was changed in the current snapshot."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)

    def localized(self, lang: str = "fr") -> str:
        text = gettext(self.template, lang)
        return text % self.params if self.params else text


class FeedFileError(FeedError):
    """A whole source file cannot be read (not JSON, cut short, wrong shape); names the file."""

    def __init__(self, template: str, file: str, **params: object) -> None:
        self.file = file
        super().__init__(template, file=file, **params)


class DownloadError(FeedError):
    """A download failed; names the URL."""


class RowLossError(FeedError):
    """An update or an import would lose more rows of a feed than the setting allows."""


class BundleError(FeedError):
    """An offline bundle is damaged, forged or unsafe; nothing was imported."""
