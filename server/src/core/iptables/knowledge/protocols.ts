/**
 * Protocol names as iptables 1.8.9 reads them (xtables_parse_protocol): a number 0-255 read
 * as strtoul reads it (`6`, `0x6`, ` 6`), `all`, a name or alias of Debian 12's
 * /etc/protocols (netbase 6.4: getprotobyname, case as written there, `TCP` is an alias),
 * or one of xtables' own names (`icmpv6`, `mh`...). `-p` lowercases its value first;
 * `--ctproto` does not. Checked against iptables in a namespace.
 */
import { parseWhole } from '../../common/numbers';

/** /etc/protocols of Debian 12 (netbase 6.4): names and aliases. */
const ETC_PROTOCOLS = new Set(
  (
    'ip IP hopopt HOPOPT icmp ICMP igmp IGMP ggp GGP ipencap IP-ENCAP st ST tcp TCP egp EGP igp IGP pup PUP udp UDP hmp HMP ' +
    'xns-idp XNS-IDP rdp RDP iso-tp4 ISO-TP4 dccp DCCP xtp XTP ddp DDP idpr-cmtp IDPR-CMTP ipv6 IPv6 ipv6-route IPv6-Route ' +
    'ipv6-frag IPv6-Frag idrp IDRP rsvp RSVP gre GRE esp IPSEC-ESP ah IPSEC-AH skip SKIP ipv6-icmp IPv6-ICMP ipv6-nonxt ' +
    'IPv6-NoNxt ipv6-opts IPv6-Opts rspf RSPF CPHB vmtp VMTP eigrp EIGRP ospf OSPFIGP ax.25 AX.25 ipip IPIP etherip ETHERIP ' +
    'encap ENCAP pim PIM ipcomp IPCOMP vrrp VRRP l2tp L2TP isis ISIS sctp SCTP fc FC mobility-header Mobility-Header ' +
    'udplite UDPLite mpls-in-ip MPLS-in-IP manet hip HIP shim6 Shim6 wesp WESP rohc ROHC ethernet Ethernet mptcp MPTCP'
  ).split(' '),
);
/** xtables' own table of names, tried after getprotobyname. */
const XTABLES_PROTOCOLS = new Set(['tcp', 'sctp', 'udp', 'udplite', 'icmp', 'icmpv6', 'ipv6-icmp', 'esp', 'ah', 'ipv6-mh', 'mh', 'all']);

/** iptables' refusal of a protocol (`unknown protocol "ftp" specified`), or null. */
export function protocolProblem(text: string): string | null {
  if (parseWhole(text, 255) !== null || ETC_PROTOCOLS.has(text) || XTABLES_PROTOCOLS.has(text)) return null;
  return `unknown protocol "${text}" specified`;
}
