#!/usr/bin/env python3
"""Counts test results for tools/test.sh and prints "N passed, N failed".

Reads Bazel's build event protocol (JSON lines) for the per-target test results,
and the layering checks' "PASS name" / "FAIL name: why" lines. Further build
event files, given as NAME=PATH (a sanitizer run: asan=..., tsan=...), count
their targets again under that name: "//infra/hub:hub_test [tsan]". A test target that
was expected (a `targetConfigured` test) but never got a result, because it or
something it needs failed to build, counts as failed. Exits 1 if anything failed.
"""
import json
import sys


def read_bep(bep_path, suffix, expected, results):
    try:
        with open(bep_path) as f:
            for line in f:
                event = json.loads(line)
                ident = event.get("id", {})
                if "targetConfigured" in ident:
                    kind = event.get("configured", {}).get("targetKind", "")
                    if kind.endswith(" test"):
                        expected.add(ident["targetConfigured"]["label"] + suffix)
                elif "testSummary" in ident:
                    label = ident["testSummary"]["label"] + suffix
                    results[label] = event.get("testSummary", {}).get("overallStatus", "NO_STATUS")
    except FileNotFoundError:
        print(f"no build events in {bep_path}: bazel did not run", file=sys.stderr)
        expected.add("(bazel run" + suffix + ")")


def main(bep_path, lint_path, more):
    expected = set()
    results = {}
    read_bep(bep_path, "", expected, results)
    for spec in more:
        name, _, path = spec.partition("=")
        read_bep(path, f" [{name}]", expected, results)

    passed = failed = 0
    failures = []
    for label in sorted(expected | set(results)):
        status = results.get(label, "NO_STATUS (did not build)")
        if status in ("PASSED", "FLAKY"):
            passed += 1
        else:
            failed += 1
            failures.append(f"{label}: {status}")

    with open(lint_path) as f:
        for line in f:
            if line.startswith("PASS "):
                passed += 1
            elif line.startswith("FAIL "):
                failed += 1
                failures.append("layering check " + line[5:].split(":")[0].strip())

    for failure in failures:
        print("FAILED", failure)
    if passed + failed == 0:
        print("no tests ran", file=sys.stderr)
        failed = 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
