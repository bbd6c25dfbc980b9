#!/usr/bin/python3
"""Every relative link and image in README.md and docs/*.md names a file (or directory) of
the repository, so the documentation a user reads never points at nothing. External
links (with a scheme), in-page anchors and bracketed math such as [f](l - h) (no dot or
slash) are not checked; a link's own #anchor is dropped before the file is looked up."""
import argparse
import glob
import os
import re
import sys
import unittest

ARGS = None
# [text](target) and ![alt](target); reference-style definitions "[x]: target".
INLINE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)


def targets(text):
    # Code spans and blocks show syntax, not links.
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    return INLINE.findall(text) + REFERENCE.findall(text)


def broken(path):
    with open(path) as f:
        found = targets(f.read())
    missing = []
    for t in found:
        # Math such as [f](l - h) is not a link: file targets have a dot or a slash.
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", t) or t.startswith("#") or not re.search(r"[./]", t):
            continue
        file = t.split("#", 1)[0]
        if not os.path.exists(os.path.normpath(os.path.join(os.path.dirname(path), file))):
            missing.append(t)
    return found, missing


class Links(unittest.TestCase):
    def test_every_relative_link_resolves(self):
        pages = [os.path.join(ARGS.source, "README.md")] + sorted(
            glob.glob(os.path.join(ARGS.source, "docs", "*.md")))
        total, problems = 0, []
        for page in pages:
            found, missing = broken(page)
            total += len(found)
            problems += [f"{os.path.relpath(page, ARGS.source)}: {m}" for m in missing]
        print(f"[ measured ] {len(pages)} pages, {total} links and images checked")
        self.assertGreater(total, 20)
        self.assertEqual(problems, [])

    def test_a_missing_target_is_found(self):
        # Power: the check reports a link to a file that is not there.
        page = os.path.join(ARGS.work, "page.md")
        with open(page, "w") as f:
            f.write("See [here](no-such-file.md#part), ![a](pic.png), `[code](x.md)`, "
                    "[web](https://example.org).\n")
        _, missing = broken(page)
        self.assertEqual(missing, ["no-such-file.md#part", "pic.png"])


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", default="/tmp")
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
