#!/usr/bin/env python3
"""Removes from a tag-contexts file every listening-context item that repeats an evaluation query.

    scripts/eval/strip_query_items.py [--contexts searcher/data/tag_contexts.tsv] [QUERY_FILE...]

The contexts file (`tag<TAB>item, item, ...`, `#` lines are comments) is rewritten in place. An
item is removed when it equals the query of any line of any QUERY_FILE (`query<TAB>tag:grade ...`,
`#` lines are comments), compared after lower-casing and collapsing white space: the same
comparison as searcher/tests/contexts_leakage.rs, which fails on any item this script would remove.
Without QUERY_FILE arguments it reads every `*.tsv` in fixtures/eval/ and ../shared/eval/ (the
shared dev file beside the clone), and fails if ../shared/eval/queries-dev.tsv is missing.

Prints each removed item, with its tag and the query file it repeats, to stderr. Fails rather than
leave a tag with no item (the parser, searcher/src/tag_space.rs, rejects an empty list).
"""
import argparse
import glob
import os
import sys


def norm(text):
    """Lower case, white space collapsed: what "verbatim" means here."""
    return " ".join(text.lower().split())


def queries(path):
    """The normalised queries of one judgement file."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            out.append(norm(line.split("\t", 1)[0]))
    return out


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--contexts", default=os.path.join(repo, "searcher/data/tag_contexts.tsv"))
    p.add_argument("query_files", nargs="*")
    a = p.parse_args()
    files = a.query_files
    if not files:
        dev = os.path.join(repo, "../shared/eval/queries-dev.tsv")
        if not os.path.isfile(dev):
            sys.exit(f"strip_query_items: {os.path.normpath(dev)} is missing (../shared beside the clone)")
        files = sorted(glob.glob(os.path.join(repo, "fixtures/eval/*.tsv")))
        files += sorted(glob.glob(os.path.join(repo, "../shared/eval/*.tsv")))
    seen = {}
    for path in files:
        for q in queries(path):
            seen.setdefault(q, os.path.relpath(path, repo))

    lines_out, removed = [], 0
    with open(a.contexts, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            lines_out.append(line)
            continue
        tag, sep, items = line.partition("\t")
        if not sep:
            sys.exit(f"{a.contexts}:{n}: expected tag<TAB>items")
        kept = []
        for item in (i.strip() for i in items.split(",")):
            if not item:
                continue
            if norm(item) in seen:
                print(f"removed: {tag}: {item!r} (a query of {seen[norm(item)]})", file=sys.stderr)
                removed += 1
            else:
                kept.append(item)
        if not kept:
            sys.exit(f"{a.contexts}:{n}: every item of {tag!r} repeats a query; write new ones")
        lines_out.append(f"{tag}\t{', '.join(kept)}")
    with open(a.contexts, "w", encoding="utf-8") as f:
        f.write("\n".join(lines_out) + "\n")
    print(f"strip_query_items: {removed} items removed, {len(seen)} queries from {len(files)} files",
          file=sys.stderr)


if __name__ == "__main__":
    main()
