# kubectl mesh-ready node probe (POSIX sh; runs in busybox). Reads kernel evidence under $HOST_ROOT and prints one
# compact report (fits a 4 KiB termination message). It never changes the host: it only reads files, and in
# functional mode writes rules into its own network namespace, which disappears with the pod.
#   $1  Kconfig symbols to report, comma-separated, without CONFIG_
#   $2  module names to report, comma-separated
#   $3  functional tests: empty (off), "4" (IPv4) or "46" (IPv4 and IPv6)
# Env: HOST_ROOT (default /host), KERNEL_RELEASE (overrides detection), TERMINATION_MESSAGE_PATH.
# Report lines are "key value"; positional strings carry one character per requested symbol or module.
set -u
R="${HOST_ROOT-/host}"
R="${R%/}"
SYMS="${1-}"
MODS="${2-}"
FUNC="${3-}"
OUT=''
emit() { OUT="$OUT$*
"; }
# One line of printable ASCII, at most 120 characters: tool output is data, never trusted.
oneline() { tr '\n\r\t' '   ' | tr -cd '\040-\176' | cut -c1-120; }

emit "mesh-ready-probe 1"

# Kernel release: the running kernel's when /proc is the host's, else the one kernel installed in the tree.
rel="${KERNEL_RELEASE-}"
relsrc=flag
if [ -z "$rel" ] && [ -r "$R/proc/sys/kernel/osrelease" ]; then rel=$(cat "$R/proc/sys/kernel/osrelease"); relsrc=proc; fi
if [ -z "$rel" ]; then
  found=''
  for d in "$R"/lib/modules/* "$R"/usr/lib/modules/*; do
    [ -d "$d" ] || continue
    case " $found " in *" ${d##*/} "*) ;; *) found="$found ${d##*/}" ;; esac
  done
  if [ -z "$found" ]; then
    for f in "$R"/boot/config-*; do [ -f "$f" ] && found="$found ${f##*/config-}"; done
  fi
  set -- $found
  if [ $# -eq 1 ]; then rel=$1; relsrc=tree; elif [ $# -gt 1 ]; then emit "kernels $found"; fi
fi
emit "rel $(printf '%s' "${rel:--}" | oneline)"
emit "relsrc $relsrc"
if [ "$relsrc" = proc ]; then emit "arch $(uname -m | oneline)"; fi
if [ -r "$R/etc/os-release" ]; then
  emit "os $(sed -n 's/^PRETTY_NAME=//p' "$R/etc/os-release" | tr -d '"' | oneline)"
fi

# Kernel config: the places kubeadm's system-validators and peers look, first readable wins.
cfg=''
if [ -n "$rel" ]; then
  for f in "$R/proc/config.gz" "$R/boot/config-$rel" "$R/lib/modules/$rel/config" "$R/usr/lib/modules/$rel/config" \
    "$R/usr/lib/ostree-boot/config-$rel" "$R/usr/lib/kernel/config-$rel" "$R/usr/src/linux-$rel/.config" \
    "$R/usr/src/linux-headers-$rel/.config" "$R/lib/modules/$rel/build/.config" "$R/usr/src/linux/.config"; do
    if [ -r "$f" ] && [ -s "$f" ]; then cfg=$f; break; fi
  done
fi
if [ -n "$cfg" ]; then
  case "$cfg" in *.gz) reader='gzip -dc' ;; *) reader='cat' ;; esac
  vals=$($reader "$cfg" 2>/dev/null | awk -v syms="$SYMS" '
    BEGIN { n = split(syms, s, ","); for (i = 1; i <= n; i++) idx["CONFIG_" s[i]] = i }
    /^CONFIG_[A-Za-z0-9_]+=/ {
      k = substr($0, 1, index($0, "=") - 1); v = substr($0, index($0, "=") + 1)
      if (k in idx) val[idx[k]] = (v == "y" || v == "m") ? v : "v"
      lines++
    }
    /^# CONFIG_[A-Za-z0-9_]+ is not set/ { if ($2 in idx) val[idx[$2]] = "n" }
    /^# Linux\/[^ ]+ [^ ]+ Kernel Configuration/ { if (hdr == "") hdr = $2 " " $3 }
    END { o = ""; for (i = 1; i <= n; i++) o = o ((i in val) ? val[i] : "-"); print (lines > 0 ? o : "!"); print hdr }')
  cfgvals=$(printf '%s\n' "$vals" | sed -n 1p)
  if [ "$cfgvals" = '!' ] || [ -z "$cfgvals" ]; then
    emit "cfgsrc ${cfg#"$R"} unreadable"
  else
    emit "cfgsrc ${cfg#"$R"}"
    emit "cfg $cfgvals"
    hdr=$(printf '%s\n' "$vals" | sed -n 2p | oneline)
    [ -n "$hdr" ] && emit "cfghdr $hdr"
  fi
else
  emit "cfgsrc -"
fi

# Modules: loaded (/proc/modules), built in (modules.builtin), loadable (modules.dep, modules.order or the files),
# and configured to load at boot (modules-load.d). Absent sources are reported, so "not found" can be told apart
# from "could not look".
moddir=''
for d in "$R/lib/modules/$rel" "$R/usr/lib/modules/$rel"; do
  if [ -n "$rel" ] && [ -d "$d" ]; then moddir=$d; break; fi
done
pm=0; [ -r "$R/proc/modules" ] && pm=1
live=0; [ -r "$R/proc/sys/kernel/osrelease" ] && live=1
builtin=-; [ -n "$moddir" ] && [ -r "$moddir/modules.builtin" ] && builtin=modules.builtin
list=-
if [ -n "$moddir" ]; then
  if [ -s "$moddir/modules.dep" ]; then list=modules.dep
  elif [ -s "$moddir/modules.order" ]; then list=modules.order
  elif [ -d "$moddir/kernel" ]; then list=files
  fi
fi
boot=0
for d in "$R/etc/modules-load.d" "$R/usr/lib/modules-load.d" "$R/lib/modules-load.d"; do [ -d "$d" ] && boot=1; done
[ -r "$R/etc/modules" ] && boot=1
emit "src live=$live proc=$pm builtin=$builtin list=$list boot=$boot moddir=${moddir#"$R"}"
mods=$(
  {
    [ $pm = 1 ] && sed 's/ .*//; s/^/L /' "$R/proc/modules"
    [ "$builtin" != - ] && sed 's/^/B /' "$moddir/modules.builtin"
    case "$list" in
      modules.dep) cut -d: -f1 "$moddir/modules.dep" | sed 's/^/M /' ;;
      modules.order) sed 's/^/M /' "$moddir/modules.order" ;;
      files) find "$moddir/kernel" "$moddir/updates" "$moddir/extra" -name '*.ko*' 2>/dev/null | sed 's/^/M /' ;;
    esac
    if [ $boot = 1 ]; then
      cat "$R"/etc/modules-load.d/*.conf "$R"/usr/lib/modules-load.d/*.conf "$R"/lib/modules-load.d/*.conf "$R/etc/modules" 2>/dev/null |
        sed 's/#.*//' | tr ' \t' '\n\n' | sed -n 's/^\(..*\)$/T \1/p'
    fi
  } | awk -v mods="$MODS" '
    BEGIN { n = split(mods, m, ","); for (i = 1; i <= n; i++) idx[m[i]] = i; hex = "0123456789abcdef" }
    {
      p = $2; sub(/:$/, "", p); sub(/.*\//, "", p); sub(/\.ko(\.(xz|zst|gz))?$/, "", p); gsub(/-/, "_", p)
      if (!(p in idx)) next
      i = idx[p]
      if ($1 == "L") l[i] = 1; else if ($1 == "B") b[i] = 2; else if ($1 == "M") f[i] = 4; else if ($1 == "T") t[i] = 8
    }
    END { o = ""; for (i = 1; i <= n; i++) o = o substr(hex, l[i] + b[i] + f[i] + t[i] + 1, 1); print o }'
)
emit "mod $mods"

# SELinux: enforcing blocks module autoload from containers (istio/istio#4500, #24101).
if [ -r "$R/sys/fs/selinux/enforce" ]; then
  case $(cat "$R/sys/fs/selinux/enforce") in 1) se=enforcing ;; *) se=permissive ;; esac
elif [ -d "$R/sys/fs" ]; then se=disabled
elif [ -r "$R/etc/selinux/config" ]; then se="config-$(sed -n 's/^SELINUX=//p' "$R/etc/selinux/config" | oneline)"
else se=unknown
fi
emit "selinux $se"

# Module autoload helper: the kernel runs this host path; empty disables autoload.
if [ -r "$R/proc/sys/kernel/modprobe" ]; then
  mp=$(cat "$R/proc/sys/kernel/modprobe")
  ok='?'
  if [ -d "$R/usr/bin" ]; then if [ -n "$mp" ] && [ -x "$R$mp" ]; then ok=1; else ok=0; fi; fi
  emit "modprobe ${mp:--} $ok"
fi

# Legacy xtables registered in the host network namespace (pid 1's): tells which iptables backend Istio picks.
for fam in ip ip6; do
  if [ -d "$R/proc/1/net" ]; then f="$R/proc/1/net/${fam}_tables_names"; else f="$R/proc/net/${fam}_tables_names"; fi
  if [ -r "$f" ]; then t=$(tr '\n' ' ' < "$f" | oneline); emit "${fam}t ${t:-none}"
  elif [ $live = 1 ]; then emit "${fam}t none"
  fi
done

# Functional mode: apply Istio-shaped rules with each userspace in this pod's own network namespace.
ft() {
  name=$1
  shift
  if r=$("$@" 2>&1); then emit "f $name ok"; else emit "f $name fail $(printf '%s' "$r" | sed -n '/./{p;q;}' | oneline)"; fi
}
have() { command -v "$1" >/dev/null 2>&1; }
ipt_nat() {
  $1 -w 5 -t nat -N MESHREADY_NAT && $1 -w 5 -t nat -A MESHREADY_NAT -p tcp --dport 15008 -j RETURN &&
    $1 -w 5 -t nat -A MESHREADY_NAT -p tcp -m owner --uid-owner 1337 -j RETURN &&
    $1 -w 5 -t nat -A MESHREADY_NAT -o lo -s "$2" -j RETURN &&
    $1 -w 5 -t nat -A MESHREADY_NAT -p tcp -j REDIRECT --to-ports 15001 && $1 -w 5 -t nat -A OUTPUT -p tcp -j MESHREADY_NAT
}
ipt_mangle() {
  $1 -w 5 -t mangle -N MESHREADY_MANGLE &&
    $1 -w 5 -t mangle -A MESHREADY_MANGLE -m mark --mark 0x539/0xfff -j CONNMARK --set-xmark 0x111/0xfff &&
    $1 -w 5 -t mangle -A MESHREADY_MANGLE -m connmark --mark 0x111/0xfff -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff &&
    $1 -w 5 -t mangle -A MESHREADY_MANGLE -m conntrack --ctstate RELATED,ESTABLISHED -j MARK --set-mark 1337 &&
    $1 -w 5 -t mangle -A PREROUTING -j MESHREADY_MANGLE
}
ipt_raw() {
  $1 -w 5 -t raw -N MESHREADY_RAW && $1 -w 5 -t raw -A MESHREADY_RAW -p udp --dport 53 -m owner --uid-owner 1337 -j CT --zone 1 &&
    $1 -w 5 -t raw -A OUTPUT -p udp -j MESHREADY_RAW
}
ipt_tproxy() {
  $1 -w 5 -t mangle -N MESHREADY_TPROXY && $1 -w 5 -t mangle -A MESHREADY_TPROXY -p tcp -j TPROXY --tproxy-mark 1337/0xffffffff --on-port 15006 &&
    $1 -w 5 -t mangle -A PREROUTING -p tcp -j MESHREADY_TPROXY
}
ipt_set() {
  $1 -w 5 -t nat -N MESHREADY_SET &&
    $1 -w 5 -t nat -A MESHREADY_SET -m owner --socket-exists -p tcp -m set --match-set "$2" dst -j SNAT --to-source "$3" &&
    $1 -w 5 -t nat -A POSTROUTING -j MESHREADY_SET
}
ipset_create() { ipset create "$1" hash:ip comment family "$2" -exist && ipset add "$1" "$3" comment "mesh-ready probe" -exist; }
ip_rule() { ip $1 rule add fwmark 0x111/0xfff pref 32764 lookup 100 && ip $1 route add local "$2" dev lo table 100; }
nft_rules() {
  printf '%s\n' 'table inet meshready_probe {' \
    ' chain nat_out {' '  type nat hook output priority -100; policy accept;' \
    '  meta l4proto tcp tcp dport 15008 counter return' '  meta skuid 1337 counter return' \
    '  meta l4proto tcp counter redirect to :15001' ' }' \
    ' chain mangle_pre {' '  type filter hook prerouting priority -150; policy accept;' \
    '  meta mark & 0xfff == 0x539 counter ct mark set ct mark & 0xfffff000 | 0x111' \
    '  ct mark & 0xfff == 0x111 counter meta mark set ct mark' '  ct state related,established counter accept' ' }' \
    ' chain raw_out {' '  type filter hook output priority -300; policy accept;' \
    '  udp dport 53 meta skuid 1337 counter ct zone set 1' ' }' '}' | nft -f -
}
nft_tproxy() {
  printf '%s\n' 'table inet meshready_tproxy {' ' chain tproxy_pre {' '  type filter hook prerouting priority -150; policy accept;' \
    '  meta l4proto tcp tproxy ip to :15006 meta mark set 1337 counter accept' \
    '  meta l4proto tcp tproxy ip6 to :15006 meta mark set 1337 counter accept' ' }' '}' | nft -f -
}
# Never touch the host's network namespace: refuse when the parent process (a local run without unshare, or a
# kubelet that runs the command directly) or the host's init shares ours.
in_host_netns() {
  self=$(readlink /proc/self/ns/net 2>/dev/null) || return 1
  for p in "/proc/$PPID/ns/net" "$R/proc/1/ns/net"; do
    other=$(readlink "$p" 2>/dev/null) && [ "$other" = "$self" ] && return 0
  done
  return 1
}
if [ -n "$FUNC" ] && in_host_netns; then
  emit "f netns fail refusing to apply test rules in the host network namespace"
elif [ -n "$FUNC" ]; then
  ip link set lo up 2>/dev/null
  if have ipset; then
    ft ipset.v4 ipset_create meshready-probe-v4 inet 10.0.0.1
    case "$FUNC" in *6*) ft ipset.v6 ipset_create meshready-probe-v6 inet6 fd00::1 ;; esac
  else emit "f ipset absent"; fi
  for b in legacy nft; do
    for fam in 4 6; do
      case "$FUNC" in *$fam*) ;; *) continue ;; esac
      if [ $fam = 4 ]; then bin=iptables-$b; lo=127.0.0.6/32; set=meshready-probe-v4; snat=169.254.7.127
      else bin=ip6tables-$b; lo=::6/128; set=meshready-probe-v6; snat=fd16:9254:7127:1337:ffff:ffff:ffff:ffff; fi
      if ! have "$bin"; then emit "f $bin absent"; continue; fi
      emit "fv $bin $($bin --version 2>&1 | oneline)"
      ft "$bin.nat" ipt_nat "$bin" "$lo"
      ft "$bin.mangle" ipt_mangle "$bin"
      ft "$bin.raw" ipt_raw "$bin"
      ft "$bin.tproxy" ipt_tproxy "$bin"
      if have ipset; then ft "$bin.set" ipt_set "$bin" "$set" "$snat"; fi
    done
  done
  if have nft; then
    emit "fv nft $(nft --version 2>&1 | oneline)"
    ft nft.rules nft_rules
    ft nft.tproxy nft_tproxy
  else emit "f nft absent"; fi
  if have ip; then
    ft iprule.v4 ip_rule -4 0.0.0.0/0
    case "$FUNC" in *6*) ft iprule.v6 ip_rule -6 ::/0 ;; esac
  else emit "f iprule absent"; fi
fi

emit "end"
printf '%s' "$OUT"
printf '%s' "$OUT" > "${TERMINATION_MESSAGE_PATH:-/dev/termination-log}" 2>/dev/null
exit 0
