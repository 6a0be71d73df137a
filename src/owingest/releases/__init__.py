"""Release events: the items that report one release (the lab's post, its Hub repositories,
news, engine release notes, derived repositories) linked into one record, with every field's
value traced to the item that states it and disagreements kept visible.

``releases_of`` is pure (rows in, ``Release`` records out); the warehouse rebuilds its
``releases``, ``release_sources`` and ``release_field_values`` tables from it in every commit
that adds or changes items, in every reparse, and in the first commit after the tables appear.
"""

from __future__ import annotations

from owingest.releases.build import releases_of
from owingest.releases.fields import FIELDS, FieldValue, Release
from owingest.releases.link import ROLES

__all__ = ["FIELDS", "ROLES", "FieldValue", "Release", "releases_of"]
