#!/usr/bin/env bash
# catalog-history.sh OUTDIR: packs the built-in catalog as released at each
# earlier version (the last commit before each bump of templates/catalog.yaml's
# version) into OUTDIR/catalog.pack, indexed by OUTDIR/versions ("VERSION
# COMMIT" lines). Commits are made with fixed authors and dates, so the same
# history always gives the same bytes.
#
# A version whose output kept changing after it was released (the bump came
# late) names the commit it was released from in scripts/catalog-released
# ("VERSION COMMIT" lines, # comments); that commit's catalog is packed
# instead of the one just before the bump, so projects made by the release
# get their real merge bases.
set -euo pipefail
out=$1
repo=$(git rev-parse --show-toplevel)
cd "$repo"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# New objects go to a scratch object directory that borrows the repository's
# (as alternates), so the repository itself is left untouched.
objects=$(cd "$(git rev-parse --git-common-dir)" && pwd)/objects
export GIT_INDEX_FILE=$tmp/index GIT_OBJECT_DIRECTORY=$tmp/objects GIT_ALTERNATE_OBJECT_DIRECTORIES=$objects
mkdir -p "$tmp/objects"
export GIT_AUTHOR_NAME=secgen GIT_AUTHOR_EMAIL=secgen@localhost GIT_AUTHOR_DATE='@0 +0000'
export GIT_COMMITTER_NAME=secgen GIT_COMMITTER_EMAIL=secgen@localhost GIT_COMMITTER_DATE='@0 +0000'

released=$repo/scripts/catalog-released
released_at() {
  [ -f "$released" ] || return 0
  sed -e 's/#.*//' "$released" | awk -v v="$1" '$1 == v { print $2 }' | tail -n1
}

version_at() { git show "$1:templates/catalog.yaml" 2>/dev/null | sed -n 's/^version: *//p' | head -n1; }

: > "$tmp/versions"
parent=()
prev=""
for c in $(git log --reverse --format=%H -- templates/catalog.yaml); do
  v=$(version_at "$c")
  if [ -n "$prev" ] && [ "$v" != "$prev" ]; then
    # $c bumped the version: its parent is the catalog as released at $prev.
    rel=$(released_at "$prev")
    if [ -z "$rel" ]; then
      rel="$c^"
    elif [ "$(version_at "$rel")" != "$prev" ]; then
      echo "scripts/catalog-released: $rel is not catalog version $prev" >&2
      exit 1
    fi
    git read-tree --empty
    git read-tree --prefix=templates/ "$rel:templates"
    if git cat-file -e "$rel:blueprints" 2>/dev/null; then
      git read-tree --prefix=blueprints/ "$rel:blueprints"
    fi
    tree=$(git write-tree)
    commit=$(git commit-tree "$tree" "${parent[@]}" -m "built-in catalog $prev")
    parent=(-p "$commit")
    echo "$prev $commit" >> "$tmp/versions"
  fi
  prev=$v
done
mkdir -p "$out"
cut -d' ' -f2 "$tmp/versions" | git rev-list --objects --stdin | cut -d' ' -f1 \
  | git pack-objects -q --threads=1 --stdout > "$out/catalog.pack"
cp "$tmp/versions" "$out/versions"
echo "catalog history: $(wc -l < "$out/versions") earlier version(s), $(wc -c < "$out/catalog.pack") bytes"
