/**
 * Who uses which packet-mark bits: a registry of known software, each with the bits or
 * values it uses, how it uses them, and how to recognise its rules (chain names, rule
 * comments, nft table names). Data only, plus pure look-ups over it.
 *
 * Every row was checked against its source through the project's code search (stored
 * copies of the public repositories); the `checked` field of each row says what was read
 * (repository, commit where the store named one, file). Where the reference list
 * (../shared/reference/mark-owners.md) and the source disagreed, the source won and the
 * row says so. Sources change: the version each row applies to is in `version`.
 */

export type MarkSpace = 'nfmark' | 'ctmark';

/** One use of the mark by an owner: a single bit, a field, or a whole value. */
export interface OwnerUse {
  mark: MarkSpace;
  /** The bits the use occupies. */
  mask: number;
  /** For values and fields: the value within `mask` (single bits: value === mask). */
  value: number;
  purpose: string;
}

export interface MarkOwner {
  id: string;
  name: string;
  /**
   * `bits`: sets, clears and tests single bits, keeping the others (`--or-mark`,
   * `--set-xmark b/b`); `field`: a masked group of bits holding a value; `whole`: sets or
   * compares the entire 32-bit mark, which wipes or misreads everyone else's bits.
   */
  style: 'bits' | 'field' | 'whole';
  uses: OwnerUse[];
  /** The bits the owner reserves in each mark, beyond the ones its rules happen to touch. */
  claims: Partial<Record<MarkSpace, number>>;
  purpose: string;
  /** The release(s) the row describes. */
  version: string;
  /** Where the values are defined. */
  source: string;
  /** What was checked, and where (repository@commit file). */
  checked: string;
  /** Chain names that identify the owner's iptables rules: exact names, or prefixes ending in `*`. */
  chains: string[];
  /** Substrings of `-m comment --comment` texts that identify its rules. */
  comments?: string[];
  /** nft table names (exact, or prefixes ending in `*`) holding its nft rules. */
  nftTables?: string[];
  /**
   * The owner sets its marks outside the rule files too (socket SO_MARK, eBPF, ip rules,
   * OVS): a test of its bits needs no writing rule in the rule set.
   */
  external?: boolean;
  /**
   * (mark, value, mask) forms distinctive enough to attribute a rule in an unrecognised
   * chain to this owner (single common bits such as 0x1 are not listed).
   */
  signatures?: { mark: MarkSpace; value: number; mask: number }[];
}

const FULL = 0xffffffff;
const bit = (n: number) => 2 ** n;
const single = (mark: MarkSpace, b: number, purpose: string): OwnerUse => ({ mark, mask: b, value: b, purpose });

export const MARK_OWNERS: readonly MarkOwner[] = [
  {
    id: 'kube-proxy',
    name: 'kube-proxy',
    style: 'bits',
    uses: [single('nfmark', bit(14), 'kube-proxy masquerade (KUBE-MARK-MASQ)')],
    claims: { nfmark: bit(14) },
    purpose: 'marks packets to be masqueraded in KUBE-POSTROUTING; bit configurable (masqueradeBit)',
    version: 'Kubernetes 1.x (iptables, ipvs and nftables modes), default masqueradeBit 14',
    source: 'https://github.com/kubernetes/kubernetes/blob/master/pkg/proxy/apis/config/v1alpha1/defaults.go',
    checked:
      'kubernetes/kubernetes@04791b4906602ffda5ccf9bc4c84d3329f1d7080 pkg/proxy/apis/config/v1alpha1/defaults.go: `obj.IPTables.MasqueradeBit = 14` by default; listings in the store show KUBE-MARK-MASQ as `MARK or 0x4000`',
    chains: ['KUBE-*'],
    comments: ['kubernetes '],
    nftTables: ['kube-proxy'],
    signatures: [{ mark: 'nfmark', value: bit(14), mask: bit(14) }],
  },
  {
    id: 'kubelet',
    name: 'kubelet (drop bit)',
    style: 'bits',
    uses: [single('nfmark', bit(15), 'kubelet drop (KUBE-MARK-DROP, tested by KUBE-FIREWALL)')],
    claims: { nfmark: bit(15) },
    purpose:
      'packets to drop; KUBE-FIREWALL drops `0x8000/0x8000`. Kubelet stopped creating KUBE-MARK-DROP with KEP-3178 (1.28), but old nodes and dumps still have it',
    version: 'kubelet up to 1.27 (IPTablesDropBit default 15); KUBE-FIREWALL drop rule in older releases',
    source: 'https://github.com/kubernetes/kubernetes/blob/master/pkg/kubelet/apis/config/v1beta1/defaults.go',
    checked:
      'kubernetes/kubernetes pkg/kubelet/apis/config/v1beta1/defaults.go (stored copies): `DefaultIPTablesDropBit = 15`; CHANGELOG 1.28: "kubelet no longer creates the KUBE-MARK-DROP chain" (kubernetes#119374)',
    chains: ['KUBE-FIREWALL', 'KUBE-MARK-DROP', 'KUBE-KUBELET-CANARY'],
    signatures: [{ mark: 'nfmark', value: bit(15), mask: bit(15) }],
  },
  {
    id: 'calico',
    name: 'Calico (felix)',
    style: 'bits',
    uses: [
      single('nfmark', 0x10000, 'Calico accept'),
      single('nfmark', 0x20000, 'Calico pass'),
      single('nfmark', 0x40000, 'Calico drop'),
      single('nfmark', 0x80000, 'Calico scratch0'),
      single('nfmark', 0x100000, 'Calico scratch1'),
    ],
    claims: { nfmark: 0xffff0000 },
    purpose:
      'policy verdicts between chains; single bits allocated lowest first from IptablesMarkMask (accept, pass, drop, scratch0, scratch1, then WireGuard/endpoint marks)',
    version: 'Calico 3.x: IptablesMarkMask default 0xffff0000 (1.x/2.x documented 0xff000000)',
    source: 'https://github.com/projectcalico/calico/blob/master/felix/config/config_params.go',
    checked:
      'projectcalico/calico@0039c9cd422351e6d4db51b067cffc3b226b6e74 felix/config/config_params.go: `IptablesMarkMask uint32 config:"mark-bitmask;0xffff0000"` (older copies: 0xff000000); felix/dataplane/linux/int_dataplane.go (calico@0fbcbecb): NextSingleBitMark in the order accept, pass, drop, scratch0, scratch1 (the reference listed the right bits)',
    chains: ['cali-*'],
    comments: ['cali:'],
    nftTables: ['calico'],
    signatures: [],
  },
  {
    id: 'cilium',
    name: 'Cilium',
    style: 'field',
    uses: [
      { mark: 'nfmark', mask: 0x0f00, value: 0x0200, purpose: 'Cilium to-proxy' },
      { mark: 'nfmark', mask: 0x0f00, value: 0x0300, purpose: 'Cilium SNAT done' },
      { mark: 'nfmark', mask: 0x0f00, value: 0x0400, purpose: 'Cilium overlay' },
      { mark: 'nfmark', mask: 0x0f00, value: 0x0800, purpose: 'Cilium proxy endpoint id' },
      { mark: 'nfmark', mask: 0x0f00, value: 0x0a00, purpose: 'Cilium ingress proxy' },
      { mark: 'nfmark', mask: 0x0f00, value: 0x0b00, purpose: 'Cilium egress proxy' },
      { mark: 'nfmark', mask: 0x0f00, value: 0x0c00, purpose: 'Cilium from host' },
      { mark: 'nfmark', mask: 0x0f00, value: 0x0d00, purpose: 'Cilium IPsec decrypt' },
      { mark: 'nfmark', mask: 0x0f00, value: 0x0e00, purpose: 'Cilium IPsec encrypt' },
      { mark: 'nfmark', mask: 0x0f00, value: 0x0f00, purpose: 'Cilium identity carried in the mark' },
      { mark: 'nfmark', mask: 0x1f00, value: 0x1e00, purpose: 'Cilium WireGuard encrypted (uses bit 12)' },
      { mark: 'nfmark', mask: 0xffff00ff, value: 0, purpose: 'Cilium security identity' },
    ],
    claims: { nfmark: 0xffff1fff },
    purpose: 'datapath: a magic nibble 0x0f00 plus a 24-bit security identity in bits 16-31 and 0-7; bits 14/15 left to Kubernetes',
    version: 'Cilium 1.x',
    source: 'https://github.com/cilium/cilium/blob/main/pkg/datapath/linux/linux_defaults/mark.go',
    checked:
      'cilium/cilium@0a4ec831ec9c6b95b60fa2a73fe6e417149b442d pkg/datapath/linux/linux_defaults/mark.go: MagicMarkHostMask 0x0F00, IsToProxy 0x0200, SNATDone 0x0300, Overlay 0x0400, ProxyEPID 0x0800, Ingress 0x0A00, Egress 0x0B00, Host 0x0C00, Decrypt 0x0D00, Encrypt 0x0E00, Identity 0x0F00, WireGuardEncrypted 0x1E00; corrected: the identity is 24 bits, bits 16-31 AND 0-7 (GetMagicProxyMark), not only 16-31',
    chains: ['CILIUM_*', 'OLD_CILIUM_*'],
    comments: ['cilium:', 'cilium-feeder:'],
    nftTables: ['cilium*'],
    external: true,
    signatures: [
      { mark: 'nfmark', value: 0x0200, mask: 0x0f00 },
      { mark: 'nfmark', value: 0x0a00, mask: 0x0e00 },
      { mark: 'nfmark', value: 0x0b00, mask: 0x0f00 },
      { mark: 'nfmark', value: 0x0c00, mask: 0x0f00 },
      { mark: 'nfmark', value: 0x0d00, mask: 0x0f00 },
      { mark: 'nfmark', value: 0x0e00, mask: 0x0f00 },
    ],
  },
  {
    id: 'tailscale',
    name: 'Tailscale',
    style: 'field',
    uses: [
      { mark: 'nfmark', mask: 0xff0000, value: 0x40000, purpose: 'Tailscale subnet route' },
      { mark: 'nfmark', mask: 0xff0000, value: 0x80000, purpose: "Tailscale bypass (tailscaled's own packets)" },
      { mark: 'ctmark', mask: 0xff0000, value: 0x40000, purpose: 'Tailscale subnet route, saved in the connection' },
    ],
    claims: { nfmark: 0xff0000, ctmark: 0xff0000 },
    purpose: 'routing and firewall: claims bits 16-23 (uses 18 and 19); CONNMARK save/restore with --nfmask/--ctmask 0xff0000',
    version: 'tailscale 1.x',
    source: 'https://github.com/tailscale/tailscale/blob/main/tsconst/linuxfw.go',
    checked:
      "tailscale/tailscale@37adecff5e357930b748b9c2a751d9444a3cfaa4 tsconst/linuxfw.go: LinuxFwmarkMask 0xff0000, LinuxSubnetRouteMark 0x40000, LinuxBypassMark 0x80000 (set by SO_MARK on tailscaled's sockets)",
    chains: ['ts-*'],
    nftTables: ['ts-*'],
    external: true,
    signatures: [
      { mark: 'nfmark', value: 0x40000, mask: 0xff0000 },
      { mark: 'nfmark', value: 0x80000, mask: 0xff0000 },
    ],
  },
  {
    id: 'wg-quick',
    name: 'WireGuard wg-quick',
    style: 'whole',
    uses: [{ mark: 'nfmark', mask: FULL, value: 51820, purpose: 'wg-quick fwmark 51820 (0xca6c; the next free table number if taken)' }],
    // a whole value claims no bits: its bits are judged through its rules' values
    claims: {},
    purpose: 'default-route policy routing: `-m mark --mark 51820 -j CONNMARK --save-mark` and `CONNMARK --restore-mark`, both without a mask',
    version: 'wireguard-tools (wg-quick linux.bash)',
    source: 'https://git.zx2c4.com/wireguard-tools/tree/src/wg-quick/linux.bash',
    checked:
      'WireGuard/wireguard-tools@03e9f29d189bbb899a526631a4329ac8214225bd src/wg-quick/linux.bash add_default(): table=51820 (incremented while taken), `wg set fwmark $table` (SO_MARK, outside iptables), `-I POSTROUTING -m mark --mark %d -p udp -j CONNMARK --save-mark` and `-I PREROUTING -p udp -j CONNMARK --restore-mark`, comment "wg-quick(8) rule for IFACE", nft table wg-quick-IFACE',
    chains: [],
    comments: ['wg-quick(8) rule for'],
    nftTables: ['wg-quick-*'],
    external: true,
    signatures: [{ mark: 'nfmark', value: 51820, mask: FULL }],
  },
  {
    id: 'istio',
    name: 'Istio sidecar (istio-iptables)',
    style: 'whole',
    uses: [{ mark: 'nfmark', mask: FULL, value: 1337, purpose: 'Istio inbound TPROXY mark 1337 (0x539)' }],
    claims: {},
    purpose: 'inbound TPROXY interception (route table 133); ISTIO_INBOUND_TPROXY_MARK, default decimal 1337 (not 0x1337 as an old community list says)',
    version: 'Istio 1.x sidecar mode',
    source: 'https://github.com/istio/istio/blob/master/tools/istio-iptables/pkg/cmd/root.go',
    checked:
      'istio/istio tools/istio-iptables (stored copies, e.g. @2e4f3099 pkg/cmd/root.go and the older istio-iptables.sh): `ISTIO_INBOUND_TPROXY_MARK` default "1337", route table 133',
    chains: ['ISTIO_*'],
    signatures: [{ mark: 'nfmark', value: 1337, mask: FULL }],
  },
  {
    id: 'istio-ambient',
    name: 'Istio ambient (istio-cni in-pod)',
    style: 'field',
    uses: [
      { mark: 'nfmark', mask: 0xfff, value: 0x111, purpose: 'Istio ambient in-pod TPROXY mark' },
      { mark: 'nfmark', mask: 0xfff, value: 0x539, purpose: 'Istio ambient ztunnel socket mark (1337)' },
      { mark: 'ctmark', mask: 0xfff, value: 0x111, purpose: 'Istio ambient TPROXY mark in the connection' },
    ],
    claims: { nfmark: 0xfff, ctmark: 0xfff },
    purpose:
      'ztunnel redirection inside the pod network namespace: marks 0x111/0xfff and 0x539/0xfff, `CONNMARK --restore-mark` with the full mask (InpodRestoreMask 0xffffffff)',
    version: 'Istio 1.22+ ambient mode',
    source: 'https://github.com/istio/istio/blob/master/cni/pkg/iptables/iptables.go',
    checked:
      'istio/istio@d9c34622bf0968848d241c148c06af7af49ea483 cni/pkg/iptables/iptables.go and cni/pkg/config (stored copies): InpodTProxyMark 0x111, InpodTProxyMask 0xfff, InpodMark 1337, InpodMask 0xfff, InpodRestoreMask 0xffffffff; chains ISTIO_OUTPUT, ISTIO_PRERT',
    chains: ['ISTIO_PRERT', 'ISTIO_OUTPUT', 'ISTIO_POSTRT'],
    external: true,
    signatures: [
      { mark: 'nfmark', value: 0x111, mask: 0xfff },
      { mark: 'nfmark', value: 0x539, mask: 0xfff },
      { mark: 'ctmark', value: 0x111, mask: 0xfff },
    ],
  },
  {
    id: 'docker-swarm',
    name: 'Docker swarm (libnetwork)',
    style: 'whole',
    uses: [{ mark: 'nfmark', mask: FULL, value: 256, purpose: 'Docker swarm service firewall mark (one per service, counting up from 256)' }],
    claims: {},
    purpose: 'IPVS load balancing of swarm services: mangle rules `-j MARK --set-mark N`, N from 256 upwards',
    version: 'moby libnetwork (swarm mode)',
    source: 'https://github.com/moby/moby/blob/master/libnetwork/service.go',
    checked:
      'moby/moby@9e3a6ccf695e91480acb4e2213b2e7088f946242 libnetwork/service.go (and docker/libnetwork copies): `fwMarkCtr uint32 = 256`, incremented per load balancer',
    chains: ['DOCKER*'],
  },
  {
    id: 'mullvad',
    name: 'Mullvad VPN',
    style: 'whole',
    uses: [
      { mark: 'nfmark', mask: FULL, value: 0x6d6f6c65, purpose: 'Mullvad tunnel bypass fwmark ("mole")' },
      { mark: 'ctmark', mask: FULL, value: 0xf41, purpose: 'Mullvad split-tunnel connection mark' },
    ],
    claims: {},
    purpose: 'tunnel bypass and split tunnelling (nftables rules of the daemon)',
    version: 'mullvadvpn-app (talpid-core, Linux)',
    source: 'https://github.com/mullvad/mullvadvpn-app/tree/main/talpid-core',
    checked:
      'mullvad talpid (stored copy): `pub const TUNNEL_FW_MARK: u32 = 0x6d6f6c65` ("mole"); ct mark 0x00000f41 with meta mark 0x6d6f6c65 seen in user configurations that piggyback on it',
    chains: [],
    nftTables: ['mullvad'],
    external: true,
    signatures: [
      { mark: 'nfmark', value: 0x6d6f6c65, mask: FULL },
      { mark: 'ctmark', value: 0xf41, mask: FULL },
    ],
  },
  {
    id: 'mwan3',
    name: 'OpenWrt mwan3',
    style: 'field',
    uses: [{ mark: 'nfmark', mask: 0x3f00, value: 0, purpose: 'mwan3 interface id (mmx_mask)' }],
    claims: { nfmark: 0x3f00, ctmark: 0x3f00 },
    purpose: 'multi-WAN: the interface number in the bits of mmx_mask, saved and restored through CONNMARK with that mask',
    version: 'OpenWrt packages net/mwan3 (mmx_mask default 0x3F00)',
    source: 'https://github.com/openwrt/packages/tree/master/net/mwan3',
    checked:
      "openwrt/packages@034cdc23689fc59de5ddc078382e2fa090f6e564 net/mwan3/files/lib/mwan3/common.sh mwan3_init(): `config_get MMX_MASK globals mmx_mask '0x3F00'`; interface ids spread over the mask bits (mwan3_id2mask), the top ids blackhole/unreachable",
    chains: ['mwan3_*'],
  },
  {
    id: 'netbird',
    name: 'NetBird',
    style: 'whole',
    uses: [
      { mark: 'nfmark', mask: FULL, value: 0x1bd00, purpose: 'NetBird control plane' },
      { mark: 'nfmark', mask: FULL, value: 0x1bd10, purpose: 'NetBird data plane in' },
      { mark: 'nfmark', mask: FULL, value: 0x1bd11, purpose: 'NetBird data plane out' },
      { mark: 'nfmark', mask: FULL, value: 0x1bd40, purpose: 'NetBird redirected (prerouting)' },
      { mark: 'nfmark', mask: FULL, value: 0x1bd41, purpose: 'NetBird masquerade (prerouting)' },
      { mark: 'nfmark', mask: FULL, value: 0x1bd42, purpose: 'NetBird masquerade return (prerouting)' },
    ],
    claims: {},
    purpose: 'routing-loop avoidance and routed-traffic handling (whole values 0x1BD00, 0x1BD10-0x1BDFF, 0x1BD40-0x1BD42)',
    version: 'netbird client (2025)',
    source: 'https://github.com/netbirdio/netbird/blob/main/client/net/net.go',
    checked:
      'netbirdio/netbird@084149ad97044e8d96c02b5be03a67cdd06f679a client/net/net.go: ControlPlaneMark 0x1BD00, data plane 0x1BD10-0x1BDFF; corrected: the prerouting marks moved from 0x1BD20-0x1BD22 to 0x1BD40-0x1BD42 ("0x1BD20-0x1BD3F are avoided because their lower byte has bit 0x20 set")',
    chains: ['NETBIRD-*'],
    external: true,
    signatures: [
      { mark: 'nfmark', value: 0x1bd00, mask: FULL },
      { mark: 'nfmark', value: 0x1bd10, mask: FULL },
      { mark: 'nfmark', value: 0x1bd11, mask: FULL },
      { mark: 'nfmark', value: 0x1bd40, mask: FULL },
      { mark: 'nfmark', value: 0x1bd41, mask: FULL },
      { mark: 'nfmark', value: 0x1bd42, mask: FULL },
    ],
  },
  {
    id: 'kube-router',
    name: 'kube-router',
    style: 'bits',
    uses: [single('nfmark', 0x10000, 'kube-router network policy'), single('nfmark', 0x20000, 'kube-router network policy accept')],
    claims: { nfmark: 0x30000 },
    purpose: 'network policy verdict bits; IPVS DSR uses whole fwmarks (a hash & 0x3FFF)',
    version: 'kube-router 1.x/2.x',
    source: 'https://github.com/cloudnativelabs/kube-router/tree/master/pkg/controllers/netpol',
    checked:
      'partly: chain prefixes from kube-router pkg/controllers/netpol (stored copies): KUBE-POD-FW-, KUBE-NWPLCY-, KUBE-SRC-, KUBE-DST-, KUBE-ROUTER-INPUT/FORWARD/OUTPUT; an accept on `mark match 0x20000` next to KUBE-ROUTER-FORWARD in stored k3s listings; 0x10000 from the reference (its constant not found in the store)',
    chains: ['KUBE-ROUTER-*', 'KUBE-POD-FW-*', 'KUBE-NWPLCY-*', 'KUBE-SRC-*', 'KUBE-DST-*'],
  },
  {
    id: 'aws-vpc-cni',
    name: 'AWS VPC CNI',
    style: 'bits',
    uses: [single('ctmark', 0x80, 'AWS VPC CNI primary-ENI connmark'), single('nfmark', 0x80, 'AWS VPC CNI primary-ENI mark (restored)')],
    claims: { ctmark: 0x80, nfmark: 0x80 },
    purpose: 'return path through the primary ENI: `CONNMARK --set-mark 0x80/0x80`, `CONNMARK --restore-mark --mask 0x80` (AWS_VPC_K8S_CNI_CONNMARK)',
    version: 'amazon-vpc-cni-k8s 1.x',
    source: 'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/pkg/networkutils/network.go',
    checked:
      'aws/amazon-vpc-cni-k8s@2828d49461bfee20575e0d81bb6430ffc4d59915 pkg/networkutils/network.go (stored copies): `defaultConnmark = 0x80`; its tests show the two CONNMARK rules with comment "AWS, primary ENI"',
    chains: ['AWS-*'],
    comments: ['AWS, primary ENI', 'AWS SNAT CHAIN', 'AWS, '],
  },
  {
    id: 'antrea',
    name: 'Antrea',
    style: 'bits',
    uses: [single('nfmark', 0x1, 'Antrea host-local source'), { mark: 'nfmark', mask: 0xff, value: 0, purpose: 'Antrea SNAT IP id (egress)' }],
    claims: { nfmark: 0xff },
    purpose: 'host-local source bit; the SNAT IP id of an egress in the low byte',
    version: 'Antrea 1.x/2.x',
    source: 'https://github.com/antrea-io/antrea/blob/main/pkg/agent/types/marks.go',
    checked:
      'antrea-io/antrea@3fe241bb87bd3544235665a55d94cc0e26f2281c pkg/agent/types/marks.go: HostLocalSourceBit = 0 (mark 0x1), SNATIPMarkMask 0xFF; corrected: the reference said bit 31 (0x80000000)',
    chains: ['ANTREA-*'],
  },
  {
    id: 'ovn-kubernetes',
    name: 'OVN-Kubernetes',
    style: 'whole',
    uses: [{ mark: 'nfmark', mask: FULL, value: 0x1745ec, purpose: 'OVN-Kubernetes host to ITP=local service' }],
    claims: {},
    purpose: 'internalTrafficPolicy=local services from the host: `-j MARK --set-xmark 0x1745ec` (whole mark), ip rule fwmark 0x1745ec',
    version: 'ovn-kubernetes (2022+)',
    source: 'https://github.com/ovn-org/ovn-kubernetes/tree/master/go-controller/pkg/node',
    checked:
      'ovn-kubernetes go-controller/pkg/node (stored copies): `ovnkubeITPMark = "0x1745ec" // constant itp(174)-service(5ec)`, chain OVN-KUBE-ITP in mangle',
    chains: ['OVN-KUBE-*'],
    signatures: [{ mark: 'nfmark', value: 0x1745ec, mask: FULL }],
  },
  {
    id: 'cni-portmap',
    name: 'CNI portmap',
    style: 'bits',
    uses: [single('nfmark', 0x2000, 'CNI portmap hostport masquerade')],
    claims: { nfmark: 0x2000 },
    purpose: 'hostport hairpin masquerade; bit configurable (markMasqBit, default 13)',
    version: 'containernetworking/plugins 1.x',
    source: 'https://github.com/containernetworking/plugins/blob/main/plugins/meta/portmap/main.go',
    checked:
      'containernetworking/plugins@d3851201759a080b9aec90bf9cb5e4e2fd3ef4f9 plugins/meta/portmap/main.go (and other stored copies): `const DefaultMarkBit = 13` ("Kubernetes uses 14 and 15, Calico uses 20-31"), MarkMasqBit configurable 0-31',
    chains: ['CNI-HOSTPORT-*', 'CNI-DN-*'],
  },
  {
    id: 'netavark',
    name: 'netavark (Podman)',
    style: 'bits',
    uses: [single('nfmark', 0x2000, 'netavark hostport masquerade (NETAVARK-HOSTPORT-SETMARK)')],
    claims: { nfmark: 0x2000 },
    purpose:
      'published ports reached from the host or the bridge: `-j MARK --set-xmark 0x2000/0x2000` (nft: `meta mark set meta mark | 0x2000`), masqueraded in NETAVARK-HOSTPORT-MASQ; the same bit 13 as CNI portmap',
    version: 'netavark 1.x (Podman 4+)',
    source: 'https://github.com/containers/netavark/tree/main/src/firewall',
    checked:
      'containers/netavark (stored copies, e.g. @03cb6a5f src/firewall/varktables): `const MASK: u32 = 0x2000`, `HEXMARK = "0x2000"`, chains NETAVARK-HOSTPORT-SETMARK/-MASQ/-DNAT; added (not in the reference)',
    chains: ['NETAVARK-*', 'NETAVARK_*'],
    nftTables: ['netavark'],
  },
  {
    id: 'kube-ovn',
    name: 'Kube-OVN',
    style: 'field',
    uses: [
      { mark: 'nfmark', mask: 0x90003, value: 0x90003, purpose: 'Kube-OVN TPROXY output mark' },
      { mark: 'nfmark', mask: 0x90004, value: 0x90004, purpose: 'Kube-OVN TPROXY prerouting mark' },
    ],
    claims: { nfmark: 0x90007 },
    purpose:
      "TPROXY of health checks (route table 10001): marks 0x90003/0x90003 and 0x90004/0x90004, whose bits 16 and 19 are Calico's accept and scratch bits and Tailscale's bypass bit",
    version: 'Kube-OVN 1.12+',
    source: 'https://github.com/kubeovn/kube-ovn/blob/master/pkg/util/const.go',
    checked:
      'kubeovn/kube-ovn pkg/util/const.go (stored copies): TProxyOutputMark/Mask 0x90003, TProxyPreroutingMark/Mask 0x90004, chains OVN-PREROUTING, OVN-POSTROUTING, OVN-OUTPUT, OVN-MASQUERADE, OVN-NAT-POLICY; added (not in the reference)',
    chains: ['OVN-PREROUTING', 'OVN-POSTROUTING', 'OVN-OUTPUT', 'OVN-MASQUERADE', 'OVN-NAT-POLICY', 'OVN-NAT-PSUBNET-*'],
    comments: ['kube-ovn '],
    signatures: [
      { mark: 'nfmark', value: 0x90003, mask: 0x90003 },
      { mark: 'nfmark', value: 0x90004, mask: 0x90004 },
    ],
  },
  {
    id: 'submariner',
    name: 'Submariner Globalnet',
    style: 'field',
    uses: [{ mark: 'nfmark', mask: 0xc0000, value: 0xc0000, purpose: 'Submariner Globalnet mark (traffic to connected clusters)' }],
    claims: { nfmark: 0xc0000 },
    purpose: 'Globalnet: `-j MARK --set-mark 0xC0000/0xC0000` in SUBMARINER-GN-MARK, tested before the SNAT to global IPs',
    version: 'Submariner 0.x Globalnet',
    source: 'https://github.com/submariner-io/submariner/tree/devel/pkg/globalnet',
    checked:
      'submariner pkg/globalnet (stored copies): `globalNetIPTableMark = "0xC0000/0xC0000"`, `-j MARK --set-mark globalNetIPTableMark` in SmGlobalnetMarkChain, `-m mark --mark globalNetIPTableMark -j SNAT`; corrected: the reference said 0xC000/0xC000 (bits 14-15), the source has 0xC0000 (bits 18-19, where Tailscale and Calico live)',
    chains: ['SUBMARINER-*'],
    signatures: [{ mark: 'nfmark', value: 0xc0000, mask: 0xc0000 }],
  },
  {
    id: 'weave',
    name: 'Weave Net (archived)',
    style: 'bits',
    uses: [single('nfmark', 0x20000, 'Weave IPsec'), single('nfmark', 0x40000, 'Weave npc egress accept')],
    claims: { nfmark: 0x60000 },
    purpose: 'IPsec and network policy egress marks',
    version: 'Weave Net 2.x (archived)',
    source: 'https://github.com/weaveworks/weave/blob/master/npc/constants.go',
    checked:
      'weaveworks/weave@19088ba8bca0d126a5a693cc41c738bf511a919a npc/constants.go: `EgressMark = "0x40000/0x40000"`; weaveworks/weave@0078fc535a5d4908b53fbf16b55c2c4e1a159db0 net/ipsec/ipsec.go: `mark = uint32(0x1) << 17`, `markStr = "0x20000/0x20000"`, chains WEAVE-IPSEC-IN/-OUT(-MARK)',
    chains: ['WEAVE-*'],
  },
  {
    id: 'flannel',
    name: 'flannel',
    style: 'bits',
    uses: [],
    claims: {},
    purpose: "sets no mark; FLANNEL-POSTRTG tests kube-proxy's 0x4000/0x4000 to skip masquerading",
    version: 'flannel 0.x',
    source: 'https://github.com/flannel-io/flannel/blob/master/pkg/trafficmngr/iptables/iptables.go',
    checked: 'flannel iptables masq rules (stored copies): `-A FLANNEL-POSTRTG -m mark --mark kubeProxyMark ... -j RETURN` with comment "flanneld masq"',
    chains: ['FLANNEL-*'],
    comments: ['flanneld masq', 'flanneld forward'],
  },
];

const BY_ID = new Map(MARK_OWNERS.map((o) => [o.id, o]));
export const ownerById = (id: string): MarkOwner | undefined => BY_ID.get(id);

const exactChains = new Map<string, MarkOwner>();
const prefixChains: { prefix: string; owner: MarkOwner }[] = [];
for (const o of MARK_OWNERS) {
  for (const c of o.chains) {
    if (c.endsWith('*')) prefixChains.push({ prefix: c.slice(0, -1), owner: o });
    else exactChains.set(c, o);
  }
}
// the longest prefix wins: KUBE-ROUTER-* before KUBE-*
prefixChains.sort((a, b) => b.prefix.length - a.prefix.length);

/** The owner whose rules live in this chain: an exact name first, then the longest prefix. */
export function ownerOfChain(chain: string): MarkOwner | undefined {
  const exact = exactChains.get(chain);
  if (exact) return exact;
  for (const p of prefixChains) if (chain.startsWith(p.prefix)) return p.owner;
  return undefined;
}

/** The owner a rule comment names (`wg-quick(8) rule for wg0`), if any. */
export function ownerOfComment(comment: string): MarkOwner | undefined {
  for (const o of MARK_OWNERS) for (const c of o.comments ?? []) if (comment.includes(c)) return o;
  return undefined;
}

/** The owner of an nft table (for the nft extractor). */
export function ownerOfNftTable(table: string): MarkOwner | undefined {
  for (const o of MARK_OWNERS) {
    for (const t of o.nftTables ?? []) if (t.endsWith('*') ? table.startsWith(t.slice(0, -1)) : table === t) return o;
  }
  return undefined;
}

/** The owner one of whose distinctive (value, mask) forms this is. */
export function ownerOfValue(mark: MarkSpace, value: number, mask: number): MarkOwner | undefined {
  const v = value >>> 0;
  const m = mask >>> 0;
  for (const o of MARK_OWNERS) for (const s of o.signatures ?? []) if (s.mark === mark && s.value >>> 0 === v && s.mask >>> 0 === m) return o;
  return undefined;
}

/** What each bit of a value or mask means to known software, for hovers. */
export interface BitMeaning {
  bit: number;
  uses: { owner: MarkOwner; purpose: string }[];
}

const hexOf = (x: number) => '0x' + (x >>> 0).toString(16);
const popcount = (x: number) => {
  let n = 0;
  for (let v = x >>> 0; v; v = (v & (v - 1)) >>> 0) n++;
  return n;
};

/**
 * The known uses of each set bit of `bits` in one mark: single-bit uses by name, else the
 * field the bit belongs to, else a reservation. Whole values: `wholeValueUses`; values of
 * fields: `fieldValueUses`.
 */
export function bitMeanings(mark: MarkSpace, bits: number): BitMeaning[] {
  const out: BitMeaning[] = [];
  for (let b = 31; b >= 0; b--) {
    const m = 2 ** b;
    if (((bits >>> 0) & m) === 0) continue;
    const uses: BitMeaning['uses'] = [];
    const add = (owner: MarkOwner, purpose: string) => {
      if (!uses.some((x) => x.owner === owner && x.purpose === purpose)) uses.push({ owner, purpose });
    };
    for (const o of MARK_OWNERS) {
      const before = uses.length;
      for (const u of o.uses) {
        const um = u.mask >>> 0;
        if (u.mark === mark && um === m && u.value >>> 0 === um) add(o, u.purpose);
      }
      if (uses.length === before) {
        const fields = o.uses.filter((u) => u.mark === mark && ((u.mask >>> 0) & m) !== 0 && u.mask >>> 0 !== FULL && popcount(u.mask) > 1);
        const generic = fields.find((u) => u.value === 0);
        if (generic) add(o, generic.purpose);
        else if (fields.length) add(o, `${o.name} field ${hexOf(fields[0].mask)}`);
        else if ((o.claims[mark] ?? 0) >>> 0 !== FULL && (((o.claims[mark] ?? 0) >>> 0) & m) !== 0) add(o, `reserved by ${o.name} (${hexOf(o.claims[mark]!)})`);
      }
    }
    out.push({ bit: b, uses });
  }
  return out;
}

/** Field values this (value, mask) carries: `0x40000/0xff0000` is Tailscale's subnet route. */
export function fieldValueUses(mark: MarkSpace, value: number, mask: number): { owner: MarkOwner; purpose: string; value: number; mask: number }[] {
  const out: { owner: MarkOwner; purpose: string; value: number; mask: number }[] = [];
  for (const o of MARK_OWNERS) {
    for (const u of o.uses) {
      const um = u.mask >>> 0;
      if (u.mark !== mark || um === FULL || popcount(um) < 2 || u.value === 0) continue;
      // the field must be wholly given by the mask, and carry this use's value
      if (((mask >>> 0) & um) >>> 0 !== um) continue;
      if (((value >>> 0) & um) >>> 0 === u.value >>> 0) out.push({ owner: o, purpose: u.purpose, value: u.value, mask: um });
    }
  }
  return out;
}

/** Known software that uses exactly this whole 32-bit value. */
export function wholeValueUses(mark: MarkSpace, value: number): { owner: MarkOwner; purpose: string }[] {
  const out: { owner: MarkOwner; purpose: string }[] = [];
  for (const o of MARK_OWNERS)
    for (const u of o.uses) if (u.mark === mark && u.mask >>> 0 === FULL && u.value >>> 0 === value >>> 0) out.push({ owner: o, purpose: u.purpose });
  return out;
}

/**
 * Hover text for a mark value or mask (`0x4000`, `0xca6c`, `0x40000/0xff0000`): the whole
 * value's known uses, then its set bits (or the mask's, when given), each with the known
 * software using it: "bit 14 (0x4000): kube-proxy masquerade (KUBE-MARK-MASQ)". Markdown.
 */
export function markValueHover(value: number, mask?: number, mark: MarkSpace = 'nfmark'): string {
  const v = value >>> 0;
  const bits = mask === undefined ? v : mask >>> 0;
  const lines: string[] = [];
  if (mask === undefined || mask >>> 0 === FULL) for (const u of wholeValueUses(mark, v)) lines.push(`whole value ${hexOf(v)} (${v}): ${u.purpose}`);
  if (bits === 0) {
    lines.push(`${hexOf(bits)}: no bits`);
    return lines.join('\n\n');
  }
  if (popcount(bits) > 16) {
    lines.push(`${mark} ${mask === undefined ? 'value' : 'mask'} ${hexOf(bits)}: ${popcount(bits)} bits`);
    return lines.join('\n\n');
  }
  for (const f of fieldValueUses(mark, v, mask ?? FULL)) lines.push(`${hexOf(f.value)}/${hexOf(f.mask)}: ${f.purpose}`);
  lines.push(`${mark} ${mask === undefined ? 'bits of' : 'mask'} ${hexOf(bits)}:`);
  for (const m of bitMeanings(mark, bits)) {
    lines.push(`- bit ${m.bit} (${hexOf(2 ** m.bit)})${m.uses.length ? ': ' + m.uses.map((u) => u.purpose).join('; ') : ''}`);
  }
  return lines.join('\n');
}
