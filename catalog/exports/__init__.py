"""Machine-readable views of the catalog: catalog.json, JSON-LD, iCalendar, Atom, BibTeX, CITATION.cff."""
