#!/usr/bin/env python3
"""Turns a catalog manifest and a query file into graded judgements for `musearch eval-search`.

    judge_search.py MANIFEST.tsv QUERIES.tsv OUT.json [--name NAME]

MANIFEST.tsv is what scripts/eval/build-search-catalog.sh writes (path, source, album,
duplicate_of, duration_s, rms_dbfs, labels). QUERIES.tsv has one query per line:

    query<TAB>rule

A rule is whitespace-separated clauses (docs/EVALUATION.md, "End-to-end search", states the
rules; they were fixed before any tuning):

    a+b:G       grade G (1-3) for a file that carries every label a, b, ...; a file's grade is
                the highest grade of the clauses it matches, 0 when it matches none
    a+b:0       exclusion: a file carrying every label of it gets grade 0
    short_ok:1  a flag: the query asks for short clips (one-shots, hits, loops): they are not
                capped and not counted as bad results

(every token ends in `:digit`, so the files also parse as `musearch eval-queries` judgement files,
which searcher/tests/contexts_leakage.rs reads to keep evaluation queries out of the method's data)

and for every query: a near-silent file (RMS below NEAR_SILENT_DBFS) gets 0; a clip shorter than
SHORT_SECS gets at most 1 unless the query says short_ok; a duplicate carries its original's
labels (so the same grade).
"""

import argparse
import json
import sys

SHORT_SECS = 10.0
NEAR_SILENT_DBFS = -60.0
FIRST_PAGE = 10


def read_manifest(path):
    files = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rel, source, album, dup, dur, rms, labels = line.rstrip("\n").split("\t")
            files[rel] = {
                "source": source,
                "album": album or None,
                "duplicate_of": dup or None,
                "duration_s": float(dur),
                "rms_dbfs": float(rms),
                "labels": set(labels.split(",")) if labels else set(),
            }
    return files


def parse_rule(rule, where):
    clauses, excludes, short_ok = [], [], False
    for token in rule.split():
        labels, sep, grade = token.rpartition(":")
        if not sep or grade not in ("0", "1", "2", "3") or not labels:
            sys.exit(f"{where}: bad clause `{token}` (want label+label:G with G in 0-3)")
        if labels == "short_ok":
            short_ok = True
        elif grade == "0":
            excludes.append(set(labels.split("+")))
        else:
            clauses.append((set(labels.split("+")), int(grade)))
    if not clauses:
        sys.exit(f"{where}: no graded clause")
    return clauses, excludes, short_ok


def grade(facts, clauses, excludes, short_ok, short_secs):
    labels = facts["labels"]
    if facts["rms_dbfs"] < NEAR_SILENT_DBFS:
        return 0
    if any(ex <= labels for ex in excludes):
        return 0
    g = max((gr for need, gr in clauses if need <= labels), default=0)
    if g > 1 and not short_ok and facts["duration_s"] < short_secs:
        g = 1
    return g


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("manifest")
    p.add_argument("queries")
    p.add_argument("out")
    p.add_argument("--name", help="the set's name (default: the query file's stem)")
    p.add_argument("--short-secs", type=float, default=SHORT_SECS,
                   help=f"clips shorter than this are short (default {SHORT_SECS:g}; the "
                        "fixture set, whose clips are all 0.5-6 s, uses 0.4)")
    args = p.parse_args()

    files = read_manifest(args.manifest)
    known = set().union(*(f["labels"] for f in files.values()))
    queries = []
    with open(args.queries) as f:
        for n, line in enumerate(f, 1):
            if line.startswith("#") or not line.strip():
                continue
            query, sep, rule = line.rstrip("\n").partition("\t")
            where = f"{args.queries}:{n}"
            if not sep:
                sys.exit(f"{where}: expected query<TAB>rule")
            clauses, excludes, short_ok = parse_rule(rule, where)
            unknown = set().union(*(c for c, _ in clauses), *excludes) - known
            if unknown:
                sys.exit(f"{where}: labels not in the manifest: {', '.join(sorted(unknown))}")
            grades = {}
            for rel, facts in sorted(files.items()):
                g = grade(facts, clauses, excludes, short_ok, args.short_secs)
                if g > 0:
                    grades[rel] = g
            if not any(g >= 2 for g in grades.values()):
                sys.exit(f"{where}: `{query}` has no file of grade 2 or 3")
            queries.append({"query": query.strip(), "allows_short": short_ok, "grades": grades})

    name = args.name or args.queries.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    doc = {
        "name": name,
        "first_page": FIRST_PAGE,
        "short_secs": args.short_secs,
        "files": {
            rel: {
                "duration_s": f["duration_s"],
                "near_silent": f["rms_dbfs"] < NEAR_SILENT_DBFS,
                "album": f["album"],
                "duplicate_of": f["duplicate_of"],
            }
            for rel, f in sorted(files.items())
        },
        "queries": queries,
    }
    with open(args.out, "w") as out:
        json.dump(doc, out, indent=1, sort_keys=True)
        out.write("\n")
    graded = [sum(1 for g in q["grades"].values() if g >= 2) for q in queries]
    print(f"{args.out}: {len(queries)} queries, {len(files)} files, "
          f"{min(graded)}-{max(graded)} files of grade >= 2 per query")


if __name__ == "__main__":
    main()
