#!/usr/bin/env bash
# The seed walkthrough (network-policy-on-aks.ko.md), live: a lab of real network namespaces with nftables,
# then the same manifests through the analysis engine. Each step is printed as a user would type it, followed
# by its real output; the demo fails (non-zero exit) when a step's outcome differs from the seed's.
set -uo pipefail
cd "$(dirname "$0")/.."

export PODWALL_LAB_PREFIX=${PODWALL_LAB_PREFIX:-pwdemo}
failures=0
bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
say() { printf '\n'; bold "# $*"; }

# step EXPECTED_EXIT [--expect TEXT] ARGS... : run `podwall ARGS...`, show it and its output, check the exit
# code and (optionally) that the output contains TEXT.
step() {
  local want=$1; shift
  local expect=''
  if [ "${1:-}" = --expect ]; then expect=$2; shift 2; fi
  printf '\n'; bold "$ podwall $*"
  local out
  out=$(node bin/podwall.js "$@" 2>&1)
  local got=$?
  [ -n "$out" ] && printf '%s\n' "$out"
  if [ "$got" -ne "$want" ]; then
    printf 'demo: expected exit %s, got %s\n' "$want" "$got" >&2
    failures=$((failures + 1))
  elif [ -n "$expect" ] && ! grep -qF -- "$expect" <<<"$out"; then
    printf 'demo: expected the output to contain "%s"\n' "$expect" >&2
    failures=$((failures + 1))
  fi
}

# flows EXPECT ARGS... : `podwall observe ARGS...` once the flow log holds a flow matching EXPECT (the reader
# is asynchronous: poll for up to 5 s), then show it like `step`.
flows() {
  local expect=$1; shift
  local i
  for i in $(seq 1 50); do
    node bin/podwall.js observe "$@" 2>/dev/null | grep -qF -- "$expect" && break
    sleep 0.1
  done
  step 0 --expect "$expect" observe "$@"
}

cleanup() { node bin/podwall.js lab down >/dev/null 2>&1 || true; }
trap 'cleanup; exit 130' INT TERM

if [ "$(id -u)" -eq 0 ]; then
  say "Part 1, live. A one-node lab: the node and every pod are network namespaces, policy is nftables"
  step 0 lab up
  step 0 create namespace demo

  say "kubectl run server ... (agnhost serve-hostname on TCP 80, label app=server) and a client"
  step 0 run server -n demo --image=k8s.gcr.io/e2e-test-images/agnhost:2.33 --labels=app=server --port=80 --command -- /agnhost serve-hostname --tcp --http=false --port 80
  step 0 run client -n demo --image=k8s.gcr.io/e2e-test-images/agnhost:2.33
  step 0 get pod --output=wide -n demo
  server_ip=$(node bin/podwall.js get pod server -n demo -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).status.podIP))')

  say "Without a network policy the connection succeeds (no output)"
  step 0 exec client -n demo -- /agnhost connect "$server_ip:80" --timeout=3s --protocol=tcp
  flows 'INGRESS ALLOWED' --last 2 --to-pod demo/server

  say "kubectl -n demo apply -f - <<EOF (demo-policy: only app=client may reach app=server on TCP 80)"
  step 0 apply -n demo -f examples/seed/calico-demo/demo-policy.yaml
  step 1 --expect TIMEOUT exec client -n demo -- /agnhost connect "$server_ip:80" --timeout=3s --protocol=tcp
  say "The flow log says why (hubble observe): dropped at ingress by demo/demo-policy, and what would let it through"
  flows 'fix: label pod demo/client app=client' --last 2 --to-pod demo/server --verdict DROPPED

  say "The client has no label app=client, so it is dropped. Label it:"
  step 0 label pod client -n demo app=client
  step 0 exec client -n demo -- /agnhost connect "$server_ip:80" --timeout=3s --protocol=tcp
  flows 'policy-verdict:L3-L4 INGRESS ALLOWED' --last 2 --to-pod demo/server

  say "Clean up: policy enforcement off (az aks update --network-policy none), delete the namespace"
  step 0 label pod client -n demo app-
  step 0 lab update --network-policy none
  step 0 exec client -n demo -- /agnhost connect "$server_ip:80" --timeout=3s --protocol=tcp
  step 0 delete namespace demo
  step 0 lab down
else
  say "Part 1 (live lab) needs root for network namespaces and nftables: skipped"
  failures=$((failures + 1))
fi

say "Part 2, analysis. The same manifests through the policy engine"
step 0 validate -f examples/seed
step 0 --expect 'podwall label pod demo/client app=client' analyze -f examples/seed --ports 80/TCP
step 3 policy trace -f examples/seed --from demo/client --to demo/server --port 80/TCP
step 0 --expect 'denied -> allowed' diff -f examples/seed -f examples/seed-labelled --ports 80/TCP

say "Cilium toFQDNs, the seed's policy verbatim: it has no DNS rule, so the pod's lookups are dropped"
step 0 --expect PW2021 lint -f examples/seed-cilium
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
