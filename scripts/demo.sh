#!/usr/bin/env bash
# The seed walkthrough (network-policy-on-aks.ko.md), analysed by podwall's engine.
# Each step is printed as a user would type it, followed by its real output; the demo fails
# (non-zero exit) when a step's outcome differs from the seed's.
set -uo pipefail
cd "$(dirname "$0")/.."

failures=0
bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }

# step EXPECTED_EXIT ARGS... : run `podwall ARGS...`, show it, check its exit code.
step() {
  local want=$1; shift
  printf '\n'; bold "$ podwall $*"
  node bin/podwall.js "$@"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    printf 'demo: expected exit %s, got %s\n' "$want" "$got" >&2
    failures=$((failures + 1))
  fi
}

say() { printf '\n'; bold "# $*"; }

say "The seed's manifests: namespace demo, server (app=server, TCP 80), client (no labels), demo-policy"
step 0 validate -f examples/seed

say "Connectivity matrix on 80/TCP: client -> server is denied by demo-policy"
step 0 analyze -f examples/seed --ports 80/TCP

say "Why? (exit code 3 = denied)"
step 3 policy trace -f examples/seed --from demo/client --to demo/server --port 80/TCP

say "kubectl label pod client -n demo app=client   (examples/seed-labelled is the same cluster after the label)"
step 0 diff -f examples/seed -f examples/seed-labelled --ports 80/TCP
step 0 policy trace -f examples/seed-labelled --from demo/client --to demo/server --port 80/TCP

say "Cilium toFQDNs, the seed's policy verbatim: it has no DNS rule"
step 0 lint -f examples/seed-cilium
step 3 policy trace -f examples/seed-cilium --from demo/curl --to example.com --port 443/TCP --dns-answers examples/seed/world.hosts

say "The same policy with the DNS rule Cilium needs: example.com passes, blocked.com does not"
step 0 policy trace -f examples/seed-cilium-dns --from demo/curl --to example.com --port 443/TCP --dns-answers examples/seed/world.hosts
step 3 policy trace -f examples/seed-cilium-dns --from demo/curl --to blocked.com --port 443/TCP --dns-answers examples/seed/world.hosts

printf '\n'
if [ "$failures" -gt 0 ]; then
  bold "demo: $failures step(s) did not behave as the seed says"
  exit 1
fi
bold "demo: every step behaved as the seed says"
