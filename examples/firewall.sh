#!/bin/sh
# A small router: traffic from the VPN is marked so that policy routing
# (ip rule fwmark) sends its replies back through the tunnel; the mark is kept
# on the connection so that later packets of the same flow get it again.
# Hover an iptables option to see what it does to the marks.
set -eu

WAN=eth0
VPN=wg0

iptables -t mangle -F PREROUTING
iptables -t mangle -F OUTPUT

# sample: nfmark=0x00000000 ctmark=0x00000000
iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff00 --ctmask 0xff00
iptables -t mangle -A PREROUTING -i "$VPN" -j MARK --set-xmark 0x100/0xff00
iptables -t mangle -A PREROUTING -m mark --mark 0x100/0xff00 -j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xff00

# sample: nfmark=0x00000001 ctmark=0x00000000
iptables -t mangle -A OUTPUT -o "$WAN" -p udp --dport 51820 -j MARK --or-mark 0x4000
iptables -t mangle -A OUTPUT -m connmark --mark 0x100/0xff00 -j MARK --xor-mark 0x1

iptables -t filter -A FORWARD -i "$VPN" -o "$WAN" -j ACCEPT
iptables -t nat -A POSTROUTING -o "$WAN" -m mark ! --mark 0x4000/0x4000 -j MASQUERADE

ip rule add fwmark 0x100/0xff00 table 100

# a ruleset fed to iptables-restore is checked, coloured and hovered as the save file it is
iptables-restore --noflush <<'EOF'
*raw
-A PREROUTING -i wg0 -j CT --notrack
COMMIT
*mangle
-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
-A FORWARD -o wg0 -j MARK --set-xmark 0x200/0x200
COMMIT
EOF
