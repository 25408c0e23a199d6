# shellcheck shell=bash
# linphonec phones for the integration tests (sourced after
# p2psipd_sip_lib.sh): each in $work/USER with its own HOME, its
# configuration written from linphone_recipe (the README's Linphone recipe,
# nothing else), commands fed to its standard input through a FIFO and what
# it prints in $work/USER/out (its log, SIP messages included, in
# $work/USER/log). Sourcing it exits 77 where linphonec is missing.
# phone_prefix[USER] (baresip_lib.sh) runs it in USER's box.

command -v linphonec >/dev/null 2>&1 || skip "linphonec is not installed (Debian linphone-cli)"
declare -A linphone_fd linphone_pid

# linphone_recipe USER DOMAIN: the linphonerc a person writes for
# USER@DOMAIN on a box whose p2psipd runs on its defaults (README,
# "Softphones"): the account, the daemon as registrar and outbound proxy,
# and random local SIP ports, since the daemon holds 5060 on loopback.
# $linphone_sip_extra adds lines to its [sip] section.
linphone_recipe() {
  cat <<RC
[sip]
sip_port=-1
sip_tcp_port=-1
${linphone_sip_extra:-}
[proxy_0]
reg_identity=sip:$1@$2
reg_proxy=<sip:127.0.0.1;transport=udp>
reg_route=<sip:127.0.0.1;transport=udp;lr>
reg_sendregister=1
RC
}

# start_linphonec USER DOMAIN [stock]: linphonec for USER@DOMAIN,
# registering through the daemon of its box; with "stock", on an empty
# configuration instead (linphonec's own defaults). linphonec keeps its call
# history in ~/.local/share/linphone and starts no SIP stack where it cannot
# open it.
start_linphonec() {
  local user=$1 dir=$work/$1 fd
  mkdir -p "$dir/home/.local/share/linphone"
  if [ "${3:-}" = stock ]; then
    : >"$dir/linphonerc"
  else
    linphone_recipe "$1" "$2" >"$dir/linphonerc"
  fi
  rm -f "$dir/in"  # a restart's
  mkfifo "$dir/in"
  # shellcheck disable=SC2086
  ${phone_prefix[$user]:-} env HOME="$dir/home" linphonec -c "$dir/linphonerc" -d 5 -l "$dir/log" \
    <"$dir/in" >"$dir/out" 2>&1 &
  helper_pids+=("$!")
  linphone_pid[$user]=$!
  exec {fd}>"$dir/in"
  linphone_fd[$user]=$fd
}

stop_linphonec() {  # stop_linphonec USER: quit, else killed after 5 s
  local fd=${linphone_fd[$1]}
  linphone "$1" quit
  eventually 5 exited "${linphone_pid[$1]}" || kill_tree "${linphone_pid[$1]}"
  exec {fd}>&-
}

linphone() {  # linphone USER COMMAND...: one linphonec command line
  local user=$1
  shift
  echo "$*" >&"${linphone_fd[$user]}"
}
# linphone_count USER: the lines linphonec printed so far (a mark for
# linphone_saw).
linphone_count() { wc -l <"$work/$1/out"; }
# linphone_saw USER PATTERN [MARK] [SECONDS]: linphonec printed a line
# matching PATTERN (grep -E) after its first MARK lines, within SECONDS
# (10 unless given).
linphone_saw() {
  eventually "${4:-10}" linphone_printed "$1" "$2" "${3:-0}"
}
linphone_printed() { tail -n +$(($3 + 1)) "$work/$1/out" | grep -Eq "$2"; }
