#!/usr/bin/env bash
# distributed/comm/tools/netns-mpirun.sh: run an MPI program with each rank on its own "host": one
# network namespace per rank, joined to the root namespace by a veth pair and routed, so ranks talk
# over TCP through the kernel's network stack and nothing can use shared memory. With --rate, a tbf
# qdisc limits each rank's link (a cluster network in miniature, where communication is
# wire-bound, not CPU-bound: what overlap measurements need on a two-core machine).
#
#   netns-mpirun.sh [--np N] [--rate 2gbit] -- PROGRAM [ARGS...]
#
# Needs root and iproute2 (ip, tc). Exits 77 (CTest's "skipped") when namespaces cannot be made
# or set up, saying why. The namespaces, links and qdiscs are removed on exit, whatever happens.
set -euo pipefail

np=2
rate=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --np) np="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "netns-mpirun: unknown option $1 (usage: --np N --rate RATE -- PROGRAM ARGS...)" >&2; exit 2 ;;
  esac
done
if [[ $# -eq 0 ]]; then
  echo "netns-mpirun: no program (usage: netns-mpirun.sh [--np N] [--rate 2gbit] -- PROGRAM ARGS...)" >&2
  exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "netns-mpirun: skipped: network namespaces need root" >&2
  exit 77
fi
for tool in ip mpiexec; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "netns-mpirun: skipped: $tool not found" >&2
    exit 77
  fi
done

# Names and a /24 per rank unique to this run (several runs may overlap in time).
tag=$(( $$ % 200 + 20 ))
prefix="aisys$$"
forward_before=$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null || echo 0)
cleanup() {
  sysctl -qw "net.ipv4.ip_forward=$forward_before" 2>/dev/null || true
  for ((i = 0; i < np; ++i)); do
    ip netns delete "${prefix}n$i" 2>/dev/null || true
    ip link delete "${prefix}h$i" 2>/dev/null || true
  done
}
trap cleanup EXIT
# A step of the setup that fails (no veth driver, a read-only /proc/sys in a container, no tc)
# means this machine cannot make the "hosts": skipped, naming the step, not a failed test.
setup_failed() {
  echo "netns-mpirun: skipped: setting up the namespaces failed at: $BASH_COMMAND" >&2
  exit 77
}
trap setup_failed ERR

for ((i = 0; i < np; ++i)); do
  ns="${prefix}n$i"
  if ! ip netns add "$ns" 2>/dev/null; then
    echo "netns-mpirun: skipped: cannot create a network namespace here (container without CAP_SYS_ADMIN?)" >&2
    exit 77
  fi
  ip link add "${prefix}h$i" type veth peer name "${prefix}r$i"
  ip link set "${prefix}r$i" netns "$ns"
  ip addr add "10.$tag.$i.1/24" dev "${prefix}h$i"
  ip link set "${prefix}h$i" up
  ip -n "$ns" addr add "10.$tag.$i.2/24" dev "${prefix}r$i"
  ip -n "$ns" link set "${prefix}r$i" up
  ip -n "$ns" link set lo up
  ip -n "$ns" route add default via "10.$tag.$i.1"
  if [[ -n "$rate" ]]; then
    ip netns exec "$ns" tc qdisc add dev "${prefix}r$i" root tbf rate "$rate" burst 512kb latency 100ms
  fi
done
sysctl -qw net.ipv4.ip_forward=1
trap - ERR

# Open MPI: TCP only, on these links; the launcher's PMIx server reachable from the namespaces.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export PMIX_MCA_ptl_tcp_remote_connections=1 PMIX_MCA_ptl_tcp_if_include="10.$tag.0.0/16"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
args=(--mca btl self,tcp --mca btl_tcp_if_include "10.$tag.0.0/16" --mca oob_tcp_if_include "10.$tag.0.0/16")
for ((i = 0; i < np; ++i)); do
  [[ $i -gt 0 ]] && args+=(:)
  args+=(-n 1 ip netns exec "${prefix}n$i" "$@")
done
echo "netns-mpirun: $np ranks, one namespace each${rate:+, links limited to $rate}" >&2
status=0
mpiexec "${args[@]}" || status=$?
exit "$status"
