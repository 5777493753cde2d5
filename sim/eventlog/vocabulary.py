"""The shared vocabulary of event logs: XES keys and extensions, OCEL 2.0 names, and the CSV column names guessed.

Writers and readers take their names from here, so a log approval-sim writes is one it can read back.
"""

from __future__ import annotations

#: XES standard attribute keys (IEEE 1849-2016 standard extensions)
CONCEPT_NAME = "concept:name"
CONCEPT_INSTANCE = "concept:instance"
TIME_TIMESTAMP = "time:timestamp"
LIFECYCLE_TRANSITION = "lifecycle:transition"
LIFECYCLE_MODEL = "lifecycle:model"
ORG_RESOURCE = "org:resource"
ORG_GROUP = "org:group"

#: the lifecycle transitions approval-sim writes and pairs when reading
START = "start"
COMPLETE = "complete"

XES_NAMESPACE = "http://www.xes-standard.org/"
#: ``xes.version`` of the files written: the standard's number, as the decimal its schema requires
XES_VERSION = "1849.2016"
#: (name, prefix) of the standard extensions declared in every XES file written
XES_EXTENSIONS = (
    ("Concept", "concept"),
    ("Time", "time"),
    ("Lifecycle", "lifecycle"),
    ("Organizational", "org"),
)
#: the XES attribute element names (typed attributes); ``list`` and ``container`` nest others
XES_ATTRIBUTE_TAGS = frozenset({"string", "date", "int", "float", "boolean", "id", "list", "container"})


def extension_uri(prefix: str) -> str:
    """The URI of a standard XES extension."""
    return f"{XES_NAMESPACE}{prefix}.xesext"


#: OCEL 2.0 object types of a simulated run
OCEL_PROJECT = "project"
OCEL_STAGE_VISIT = "stage_visit"
OCEL_AGENCY = "agency"
OCEL_PARTY = "party"
#: OCEL 2.0 qualifiers: event to object, object to object
QUALIFIER_PROJECT = "project"
QUALIFIER_STAGE_VISIT = "stage-visit"
QUALIFIER_HANDLED_BY = "handled-by"
QUALIFIER_PART_OF = "part-of"
#: OCEL 2.0 attribute types
OCEL_TYPES = ("string", "time", "integer", "float", "boolean")

#: what a column of a CSV log holds, and the names guessed for it (compared without case), in order of
#: preference: pm4py's and BPIC's XES-style names, Simod's, then approval-sim's own events.csv
COLUMN_GUESSES: dict[str, tuple[str, ...]] = {
    "case": ("case:concept:name", "case_id", "case", "caseid", "case id"),
    "activity": ("concept:name", "activity", "activity_name", "task"),
    "time": ("time:timestamp", "end_time", "end_timestamp", "complete_timestamp", "timestamp", "end"),
    "start": ("start_timestamp", "start_time", "start"),
    "resource": ("org:resource", "resource", "user"),
    "group": ("org:group", "group", "role"),
    "lifecycle": ("lifecycle:transition", "lifecycle", "transition"),
    "instance": ("concept:instance", "activity_instance", "instance"),
}
#: the columns a CSV log must have (found by name or given)
REQUIRED_COLUMNS = ("case", "activity", "time")
#: prefix of case-attribute columns in a CSV log (pm4py's convention)
CASE_PREFIX = "case:"
