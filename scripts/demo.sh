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

# step EXPECTED_EXIT|fail [--expect TEXT] ARGS... : run `podwall ARGS...`, show it and its output, check the exit
# code ("fail": any non-zero) and (optionally) that the output contains TEXT.
step() {
  local want=$1; shift
  local expect=''
  if [ "${1:-}" = --expect ]; then expect=$2; shift 2; fi
  # The flows a later `flows` shows are those since this step started (not older ones that match too).
  step_started=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
  printf '\n'; bold "$ podwall $*"
  local out
  out=$(node bin/podwall.js "$@" 2>&1)
  local got=$?
  [ -n "$out" ] && printf '%s\n' "$out"
  if { [ "$want" = fail ] && [ "$got" -eq 0 ]; } || { [ "$want" != fail ] && [ "$got" -ne "$want" ]; }; then
    printf 'demo: expected exit %s, got %s\n' "$want" "$got" >&2
    failures=$((failures + 1))
  elif [ -n "$expect" ] && ! grep -qF -- "$expect" <<<"$out"; then
    printf 'demo: expected the output to contain "%s"\n' "$expect" >&2
    failures=$((failures + 1))
  fi
}

# learned_ip NS POD NAME: the first address the DNS proxy learned for NAME in the pod.
learned_ip() {
  node bin/podwall.js fqdn cache list -n "$1" --pod "$2" -o json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const rows = [].concat(JSON.parse(s)).flatMap((r) => r.entries ?? r);
      const hit = rows.find((r) => (r.fqdn ?? r.name) === process.argv[1]);
      console.log(hit ? (hit.ips ?? [hit.ip])[0] : "");
    });' "$3"
}

# wait_rotated IP: until rotate.example.com answers another address and IP's TTL (3 s) has passed (at most 25 s).
wait_rotated() {
  local i
  for i in $(seq 1 50); do
    now=$(node -e 'const w = Math.floor(Date.now() / 10000) % 2; console.log(w === 0 ? "198.18.0.50" : "198.18.0.51")')
    if [ "$now" != "$1" ] && [ -z "$(learned_ip demo curl rotate.example.com)" ]; then return 0; fi
    sleep 0.5
  done
  printf 'demo: rotate.example.com did not rotate away from %s\n' "$1" >&2
  failures=$((failures + 1))
}

# flows EXPECT ARGS... : `podwall observe --since <start of the preceding step> ARGS...` once the flow log
# holds a flow matching EXPECT (the reader is asynchronous: poll for up to 5 s), then show it like `step`.
# Several `flows` in a row all look at the flows since that same step.
flows() {
  local expect=$1; shift
  local since=$step_started
  local i
  for i in $(seq 1 50); do
    node bin/podwall.js observe --since "$since" "$@" 2>/dev/null | grep -qF -- "$expect" && break
    sleep 0.1
  done
  step 0 --expect "$expect" observe --since "$since" "$@"
  step_started=$since
}

# no_flows ARGS... : `podwall observe --since <start of the preceding step> ARGS...` shows nothing (checked
# after the flows of that step had time to arrive: the reader's flush is 1 s).
no_flows() {
  local since=$step_started
  sleep 1.5
  printf '\n'; bold "$ podwall observe --since $since $*"
  local out
  out=$(node bin/podwall.js observe --since "$since" "$@" 2>&1)
  if [ -n "$out" ]; then
    printf '%s\n' "$out"
    printf 'demo: expected no flows\n' >&2
    failures=$((failures + 1))
  else
    printf '(no flows)\n'
  fi
  step_started=$since
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

  say "Part 1b, live. Cilium toFQDNs: the lab's simulated internet (198.18.0.0/15) has DNS and HTTPS; pods resolve through cluster DNS (10.96.0.10)"
  step 0 lab update --network-policy podwall
  step 0 create namespace demo
  say "kubectl run -it curl -n demo --image=alpine/curl --labels=app=client --command -- sleep 365d"
  step 0 run curl -n demo --image=alpine/curl --labels=app=client --command -- sleep 365d
  step 0 --expect 'HTTP/1.1 200' exec curl -n demo -- curl -sS -I --max-time 5 https://example.com

  say "The seed's policy verbatim (toFQDNs example.com, api.example.com, google.com on 443/TCP). It has no DNS rule:"
  say "apply warns, and curl fails because the pod's own DNS lookups are now dropped"
  step 0 --expect PW2021 apply -n demo -f examples/seed-cilium/allow-egress-to-specific-domain.yaml
  step fail exec curl -n demo -- curl -sS -I --max-time 5 https://example.com
  say "The flow log: the lookups are dropped at L3 (port 53 is not allowed), so the DNS proxy never sees them and learns nothing"
  flows 'EGRESS DENIED' --last 2 --from-pod demo/curl --to-port 53 --verdict DROPPED
  no_flows --type l7 --pod demo/curl

  say "The same policy with the DNS rule Cilium needs: lookups go through the DNS proxy, which allows what it saw answered"
  step 0 apply -n demo -f examples/seed-cilium-dns/allow-egress-to-specific-domain.yaml
  step 0 --expect 'HTTP/1.1 200' exec curl -n demo -- curl -sS -I --max-time 5 https://example.com
  flows 'EGRESS ALLOWED' --last 1 --from-pod demo/curl --to-ip 198.18.0.10 --port 443
  step 28 exec curl -n demo -- curl -sS -I --max-time 3 https://blocked.com
  flows 'EGRESS DENIED' --last 1 --from-pod demo/curl --to-ip 198.18.0.30 --verdict DROPPED
  say "The DNS proxy's L7 events (hubble observe --type l7): curl's lookups of blocked.com, allowed by the DNS rule (*) and answered;"
  say "the connection to the answer is what toFQDNs does not allow"
  flows 'dns-response proxy FORWARDED (DNS Answer "198.18.0.30"' --type l7 --pod demo/curl --fqdn blocked.com
  step 0 --expect example.com fqdn cache list -n demo
  step 0 --expect 'allowed' policy trace --from demo/curl --to example.com --port 443/TCP

  say "Limitation 1, DNS dependency: the internet's DNS stops. A name not looked up yet fails;"
  say "the address already learned for example.com stays allowed until its TTL (300 s) ends"
  step 0 lab world stop dns
  step fail exec curl -n demo -- curl -sS -I --max-time 5 https://api.example.com
  step 0 --expect 'HTTP/1.1 200' exec curl -n demo -- curl -sS -I --max-time 5 --resolve example.com:443:198.18.0.10 https://example.com
  step 0 lab world start dns

  say "Limitation 2, TTL caching: rotate.example.com answers .50 or .51 (switching every 10 s) with a 3 s TTL"
  step 0 apply -n demo -f examples/seed-cilium-limits/rotate-policy.yaml
  step 0 --expect 'HTTP/1.1 200' exec curl -n demo -- curl -sS -I --max-time 5 https://rotate.example.com
  old_ip=$(learned_ip demo curl rotate.example.com)
  printf '\n'; bold "# learned $old_ip; waiting until its TTL has passed and the name has rotated"
  wait_rotated "$old_ip"
  step 28 exec curl -n demo -- curl -sS -I --max-time 3 --resolve "rotate.example.com:443:$old_ip" https://rotate.example.com
  step 0 --expect 'HTTP/1.1 200' exec curl -n demo -- curl -sS -I --max-time 5 https://rotate.example.com

  say "Limitation 3, overhead: the same lookups from a pod behind the DNS proxy and from one without a policy (npm run bench:dns measures it fully)"
  step 0 run plain -n demo --image=alpine/curl --command -- sleep 365d
  step 0 exec curl -n demo -- node "$PWD/scripts/dns-latency.mjs" 10.96.0.10 example.com 300
  step 0 exec plain -n demo -- node "$PWD/scripts/dns-latency.mjs" 10.96.0.10 example.com 300

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
