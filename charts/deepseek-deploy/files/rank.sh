# deepseek-deploy: rank wrapper of a multi-node engine pod (run as `sh -c <this> deepseek-deploy-rank COMMAND ARGS…`).
# Works out this pod's node rank and the leader's address, replaces the placeholders {{DSD_NODE_RANK}} and
# {{DSD_LEADER_ADDR}} in the engine's words (nothing else in them is touched), exports DSD_NODE_RANK, DSD_LEADER_ADDR
# and DSD_NNODES, then execs the engine. POSIX sh (busybox, dash, bash).
#   rank:   LWS_WORKER_INDEX (LeaderWorkerSet) or the StatefulSet ordinal at the end of the pod's hostname
#   leader: LWS_LEADER_ADDRESS (LeaderWorkerSet, dns discovery), DSD_LEADER_ADDR (set by the chart: the StatefulSet
#           leader's DNS name, or a fixed value), or, with configMap discovery, this pod's own IP on rank 0 and the
#           ConfigMap file on ranks > 0 (waited for: the product writes rank 0's IP there once rank 0 has one)
rank=${LWS_WORKER_INDEX:-${HOSTNAME##*-}}
case $rank in
  '' | *[!0-9]*) echo "deepseek-deploy: cannot tell this pod's node rank (HOSTNAME=$HOSTNAME, LWS_WORKER_INDEX=${LWS_WORKER_INDEX:-})" >&2; exit 2 ;;
esac
if [ "$DSD_LEADER_DISCOVERY" = configMap ]; then
  if [ "$rank" = 0 ]; then
    addr=$DSD_POD_IP
  else
    f=/etc/deepseek-deploy/leader/address
    if [ ! -s "$f" ]; then echo "deepseek-deploy: node rank $rank waits for the leader's address (ConfigMap $DSD_LEADER_CONFIGMAP, key address)"; fi
    while [ ! -s "$f" ]; do sleep 1; done
    addr=$(cat "$f")
  fi
elif [ -n "${LWS_LEADER_ADDRESS:-}" ] && [ "$DSD_LEADER_DISCOVERY" = dns ]; then
  addr=$LWS_LEADER_ADDRESS
else
  addr=$DSD_LEADER_ADDR
fi
[ -n "$addr" ] || { echo "deepseek-deploy: no leader address (discovery $DSD_LEADER_DISCOVERY)" >&2; exit 2; }
sub() { # word placeholder value -> $_o, literal replacement of every occurrence
  _s=$1; _o=
  while :; do
    case $_s in
      *"$2"*) _o=$_o${_s%%"$2"*}$3; _s=${_s#*"$2"} ;;
      *) break ;;
    esac
  done
  _o=$_o$_s
}
n=$#
for w in "$@"; do
  sub "$w" '{{DSD_NODE_RANK}}' "$rank"; sub "$_o" '{{DSD_LEADER_ADDR}}' "$addr"
  set -- "$@" "$_o"
done
shift "$n"
export DSD_NODE_RANK="$rank" DSD_LEADER_ADDR="$addr"
echo "deepseek-deploy: node rank $rank of $DSD_NNODES on $HOSTNAME, leader $addr"
exec "$@"
