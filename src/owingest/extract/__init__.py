"""Release facts: who released which model, how big, under which license, with which context.

``extract_facts`` reads one item (a lab post, a Hub repository, an engine release note) and
returns its ``ReleaseFacts``. The labs, model families and licenses it knows are data, in
``gazetteer.yaml`` beside this file: extend the gazetteer, not the code.
"""

from __future__ import annotations

from owingest.extract.facts import ReleaseFacts, extract_facts

__all__ = ["ReleaseFacts", "extract_facts"]
