"""Validates every example of the spec with openapi-schema-validator (strict OpenAPI 3.0 semantics).

`cargo xtask lint` does the same with the `jsonschema` crate; this is the check by the reference
Python implementation, run by `.ci/run`. Usage: python validate_examples.py SPEC.yaml
"""

import sys

import yaml
from openapi_schema_validator import OAS30Validator


def media_types(node, pointer=""):
    """Every object holding a `schema` beside `example`/`examples`, with its JSON pointer."""
    if isinstance(node, dict):
        if "schema" in node and ("example" in node or "examples" in node):
            yield pointer, node
        for key, child in node.items():
            yield from media_types(child, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from media_types(child, f"{pointer}/{index}")


def main(path):
    with open(path, encoding="utf-8") as file:
        spec = yaml.safe_load(file)
    checked, failures = 0, []
    for pointer, media in media_types(spec.get("paths", {}), "/paths"):
        failures += check(spec, pointer, media)
        checked += 1
    for pointer, media in media_types(spec.get("components", {}), "/components"):
        failures += check(spec, pointer, media)
        checked += 1
    for failure in failures:
        print(failure)
    print(f"validate_examples: {checked} media types checked, {len(failures)} invalid example(s)")
    return 1 if failures or checked == 0 else 0


def deref(spec, node):
    for _ in range(32):
        reference = node.get("$ref") if isinstance(node, dict) else None
        if reference is None:
            return node
        node = spec
        for token in reference.lstrip("#/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    raise ValueError("$ref chain too long")


def check(spec, pointer, media):
    # The schema is validated beside the document's components, so that its `$ref`s resolve.
    validator = OAS30Validator(
        {"allOf": [media["schema"]], "components": spec.get("components", {})},
        format_checker=OAS30Validator.FORMAT_CHECKER,
    )
    examples = []
    if "example" in media:
        examples.append((f"{pointer}/example", media["example"]))
    for name, example in (media.get("examples") or {}).items():
        examples.append((f"{pointer}/examples/{name}", deref(spec, example).get("value")))
    failures = []
    for where, value in examples:
        for error in validator.iter_errors(value):
            failures.append(f"{where}: {error.message}")
    return failures


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
