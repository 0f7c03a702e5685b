"""Validates FHIR R4 bundles with fhir.resources 6.4.0 (the last R4 release, pydantic 1):
each file named on the command line must parse as a Bundle whose every entry parses as its
own resource type. Prints one line per file; exits 1 on the first invalid one."""
import json
import sys

from fhir.resources import construct_fhir_element
from fhir.resources.bundle import Bundle

for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    try:
        bundle = Bundle.parse_obj(data)
        for entry in data.get("entry", []):
            resource = entry["resource"]
            construct_fhir_element(resource["resourceType"], resource)
    except Exception as error:  # pydantic's ValidationError lists every field
        print(f"{path}: INVALID\n{error}")
        sys.exit(1)
    print(f"{path}: valid R4 Bundle with {len(bundle.entry or [])} entries")
