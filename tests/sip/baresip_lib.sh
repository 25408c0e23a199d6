# shellcheck shell=bash
# baresip phones for the integration tests (sourced after p2psipd_sip_lib.sh):
# each in $work/USER with a ctrl_tcp relay (baresip_ctrl.py) logging its
# events, registered through its daemon's SIP front. Sourcing it exits 77
# where baresip or one of the modules it needs is missing.
# baresip_extra holds config lines added to every phone's config;
# baresip_source is the audio source (ausine,440 unless set: aufile,FILE.wav
# sends a file); with baresip_stock_network=1 a phone keeps baresip's own
# choice of address and ports (its LAN address, random ports), as a person's
# baresip does; baresip_account, when set, is the account line used as is;
# baresip_account_at_start=1 puts it in the accounts file (no register_phone);
# baresip_contact_params follow the peer's contact (";presence=p2p").

DOMAIN=p2psip.test
MODULES=/usr/lib/baresip/modules
CTRL="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/baresip_ctrl.py"
baresip_extra=""
baresip_source="ausine,440"
baresip_stock_network=0
baresip_account=""
baresip_account_at_start=0
baresip_contact_params=""
command -v baresip >/dev/null 2>&1 || skip "baresip is not installed"
for m in ctrl_tcp cons menu contact account uuid g711 ausine aufile aubridge; do
  [ -f "$MODULES/$m.so" ] || skip "baresip module $m is missing"
done
# phone_prefix[USER]: a command prefix for USER's baresip and its relay
# (ip netns exec NS, say); none: this namespace.
declare -A phone_prefix

# free_sip_ports N: N distinct ports free for both UDP and TCP a moment ago
# (baresip listens on both for SIP and for its console), on one line.
free_sip_ports() {
  python3 - "$1" <<'PY'
import socket, sys
held, ports = [], []
while len(ports) < int(sys.argv[1]):
    t = socket.socket()
    t.bind(("127.0.0.1", 0))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", t.getsockname()[1]))
    except OSError:
        continue
    held += [t, u]
    ports.append(t.getsockname()[1])
print(*ports)
PY
}

# start_baresip USER PEER DAEMON_SIP_PORT [ACCOUNT_PARAMS]: baresip for
# USER@DOMAIN in $work/USER (its own config dir), with PEER as its only
# contact (the MESSAGE target) and its account, registering through its
# daemon, in $work/USER/account for register_phone; a ctrl_tcp relay
# (baresip_ctrl.py serve) on $work/USER/ctl.sock logs its events. baresip's
# output, with its SIP trace, is in $work/USER/out.
declare -A phone_pid relay_pid
start_baresip() {
  local user=$1 peer=$2 proxy=127.0.0.1:$3 params=${4:-} dir=$work/$1
  local sip ctrl cons network=""
  read -r sip ctrl cons <<<"$(free_sip_ports 3)"
  [ "$baresip_stock_network" = 1 ] || network="sip_listen		127.0.0.1:$sip
net_interface		127.0.0.1
rtp_ports		20000-40000"
  mkdir -p "$dir"
  cat >"$dir/config" <<CONFIG
poll_method		epoll
$network
audio_player		aubridge,nowhere
audio_alert		aubridge,alert
audio_source		$baresip_source
ausrc_srate		48000
ausrc_channels		2
module_path		$MODULES
module			g711.so
module			aubridge.so
module			ausine.so
module			aufile.so
module			cons.so
cons_listen		127.0.0.1:$cons
module_app		uuid.so
module_app		account.so
module_app		contact.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$ctrl
menu_bell		no
ringback_disabled	yes
$baresip_extra
CONFIG
  echo "<sip:$peer@$DOMAIN>$baresip_contact_params" >"$dir/contacts"
  if [ -n "$baresip_account" ]; then
    echo "$baresip_account" >"$dir/account"
  else
    echo "<sip:$user@$DOMAIN>;regint=600;outbound=\"sip:$proxy;transport=udp\";answermode=auto;audio_codecs=PCMU$params" \
      >"$dir/account"
  fi
  # The account comes through ctrl_tcp (register_phone), or with
  # baresip_account_at_start=1 from the accounts file, as the presence
  # module wants (it publishes and subscribes for the accounts it starts with).
  if [ "$baresip_account_at_start" = 1 ]; then cp "$dir/account" "$dir/accounts"; else : >"$dir/accounts"; fi
  ${phone_prefix[$user]:-} baresip -s -f "$dir" >"$dir/out" 2>&1 </dev/null &
  helper_pids+=("$!")
  phone_pid[$user]=$!
  ${phone_prefix[$user]:-} python3 "$CTRL" serve "$ctrl" "$dir/ctl.sock" "$dir/events" "$cons" 2>"$dir/relay.err" &
  helper_pids+=("$!")
  relay_pid[$user]=$!
}
relay_up() { [ -S "$work/$1/ctl.sock" ]; }
up_or_gone() { relay_up "$1" || ! kill -0 "${phone_pid[$1]}" 2>/dev/null; }
# start_phone USER PEER DAEMON_SIP_PORT [ACCOUNT_PARAMS]: start_baresip, up
# once its relay is; a baresip that exits at start (a port taken meanwhile)
# is started again on other ports, three times at most.
start_phone() {
  local attempt
  for attempt in 1 2 3; do
    start_baresip "$@"
    eventually 20 up_or_gone "$1"
    relay_up "$1" && return
    echo "# $1's baresip did not start (attempt $attempt): $(tail -n 3 "$work/$1/out" | tr '\n' ' ')"
    kill -9 "${phone_pid[$1]}" "${relay_pid[$1]}" 2>/dev/null
    rm -rf "${work:?}/$1"
  done
  fail "$1's baresip did not start: $(cat "$work/$1/relay.err" 2>/dev/null)"
}
# register_phone USER: creates USER's account once its relay listens, so
# that the REGISTER and its REGISTER_OK event come after the relay is there.
register_phone() {
  phone "$1" uanew "$(cat "$work/$1/account")" >/dev/null || fail "$1's baresip refused uanew"
}
phone() {  # phone USER COMMAND [PARAMS]: one ctrl_tcp command, answer on stdout
  local user=$1
  shift
  python3 "$CTRL" send "$work/$user/ctl.sock" "$@"
}
event_count() { wc -l <"$work/$1/events"; }
saw() {  # saw USER TYPE [KEY=VALUE...] [--after N]: the event is logged (10 s)
  local user=$1
  shift
  python3 "$CTRL" wait "$work/$user/events" "$@" --timeout 10 >/dev/null
}

