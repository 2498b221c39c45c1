/**
 * The settings schema, written once: defaults and readers live here, and package.json's
 * `contributes.configuration` mirrors them (a test checks that the two agree).
 */
import { parseWhole } from '../common/numbers';
import { PACKET_KEYS } from '../common/samplePacket';
import { DEFAULT_SERVICE_SETTINGS, ServiceSettings, SeverityOverride } from './service';

export interface SettingSpec {
  key: string;
  type: 'string' | 'object' | 'boolean';
  default: unknown;
  description: string;
  enum?: string[];
}

/**
 * The file-level diagnostic codes (and a per-line one that depends on the backend), each with its own setting `iptables.diagnostics.<code>`
 * (the `iptables.diagnostics` object works for every code as before). `default` keeps the
 * code's own severity: jump-loop is an error or a warning depending on whether a built-in
 * chain reaches the loop; unused-chain is off unless given a severity.
 */
export const DIAGNOSTIC_CODE_SETTINGS: { code: string; severity: string; description: string }[] = [
  {
    code: "target-hook",
    severity: "error",
    description: "A target or match used where the kernel refuses it: outside its tables or built-in chains, or in a user chain reached from such a hook (the message names the path)."
  },
  {
    code: "jump-loop",
    severity: "error",
    description: "A -j/-g loop between chains: an error where a built-in chain reaches the loop (the kernel refuses it: Too many links), a warning where nothing does (iptables-nft accepts it)."
  },
  {
    code: "builtin-jump",
    severity: "error",
    description: "A -j/-g to a built-in chain of the table (`-A PREROUTING -j INPUT`): the kernel refuses it (Operation not supported)."
  },
  {
    code: "undeclared-chain",
    severity: "warning",
    description: "A jump to, or a rule in, a chain the table never declares: iptables-restore fails unless the chain already exists and the file is loaded with --noflush."
  },
  {
    code: "builtin-chain-table",
    severity: "warning",
    description: "A built-in chain name the table does not have (`FORWARD` in `*nat`): iptables-nft makes it a user chain that no packet enters on its own."
  },
  {
    code: "chain-redeclared",
    severity: "warning",
    description: "A chain declared twice in one table."
  },
  {
    code: "chain-busy",
    severity: "warning",
    description: "A script's -X of a chain that still holds rules or that a rule still jumps to (from what the script itself did before): the kernel refuses it (CHAIN_DEL failed (Device or resource busy)); a bare -X then deletes nothing."
  },
  {
    code: "user-chain-policy",
    severity: "warning",
    description: "A policy on a user chain: ignored by iptables-restore, refused by `iptables -P`."
  },
  {
    code: "address-family",
    severity: "error",
    description: "An IPv4 address in an ip6tables file or an IPv6 address in an iptables file (`host/network ... not found`)."
  },
  {
    code: "attached-argument",
    severity: "warning",
    description: "A value attached to -p/-s/-d/-i/-o/-j (`-ptcp`, `--protocol=tcp`): iptables 1.8.9 reads the whole word as the value (and mostly refuses the rule), later versions read the part after the option."
  },
  {
    code: "range-reversed",
    severity: "warning",
    description: "An `-m iprange` range whose start is above its end: iptables loads it (printing `xt_iprange: range ... is reversed and will never match`) and it never matches."
  },
  {
    code: "negated-any-address",
    severity: "error",
    description: "`! -s x/0` or `! -d x/0`: iptables-nft refuses the rule (RULE_APPEND failed (Invalid argument)); iptables-legacy loads it as a rule that never matches. Set `off` for a legacy-only rule set."
  },
  {
    code: "mark-noop",
    severity: "warning",
    description: "A mark write that leaves every mark as it is (`--and-mark 0xffffffff`, `--or-mark 0`, `--set-xmark 0/0`...)."
  },
  {
    code: "mark-overwritten",
    severity: "warning",
    description: "A mark write that a later rule of the same chain, taken by every packet, overwrites before anything can read the mark."
  },
  {
    code: "mark-unsatisfiable",
    severity: "warning",
    description: "A `-m mark`/`-m connmark` test that can never match (its value has bits outside its mask)."
  },
  {
    code: "unreachable-rule",
    severity: "warning",
    description: "A rule after an ACCEPT/DROP/REJECT/RETURN or goto with no match in the same chain."
  },
  {
    code: "unused-chain",
    severity: "off",
    description: "A user chain nothing jumps to, in a complete iptables-save dump. Off by default (tool-generated dumps declare many); set a severity to turn it on."
  }
];

export const SETTINGS: SettingSpec[] = [
  {
    key: 'iptables.sample.nfmark',
    type: 'string',
    default: '0x00000000',
    description: 'The packet mark (nfmark) that mark hovers evaluate on, unless a `# sample: nfmark=...` line above says otherwise.',
  },
  {
    key: 'iptables.sample.ctmark',
    type: 'string',
    default: '0x00000000',
    description: 'The connection mark (ctmark) that mark hovers evaluate on, unless a `# sample: ctmark=...` line above says otherwise.',
  },
  {
    key: 'iptables.diagnostics',
    type: 'object',
    default: {},
    description: 'Severity per diagnostic code, e.g. {"unterminated-quote": "off"}: one of off, hint, information, warning, error.',
  },
  ...DIAGNOSTIC_CODE_SETTINGS.map((d): SettingSpec => ({
    key: `iptables.diagnostics.${d.code}`,
    type: 'string',
    default: 'default',
    enum: ['default', 'off', 'hint', 'information', 'warning', 'error'],
    description: `${d.description} Default severity: ${d.severity}.`,
  })),
  {
    key: 'iptables.inlayHints.marks',
    type: 'boolean',
    default: true,
    description: 'After each mark write, show the nfmark (or ctmark) it leaves for the sample input, e.g. `=> 0x00004000`.',
  },
  {
    key: 'iptables.sample.src',
    type: 'string',
    default: '',
    description: 'Source address of the sample packet for the packet walk (IPv4 or IPv6), unless a `# sample: src=...` line above says otherwise. Empty: unknown.',
  },
  {
    key: 'iptables.sample.dst',
    type: 'string',
    default: '',
    description: 'Destination address of the sample packet for the packet walk. Empty: unknown.',
  },
  {
    key: 'iptables.sample.proto',
    type: 'string',
    default: '',
    description: 'Protocol of the sample packet: a name (tcp, udp, icmp...) or a number. Empty: unknown.',
  },
  {
    key: 'iptables.sample.sport',
    type: 'string',
    default: '',
    description: 'Source port of the sample packet (0-65535). Empty: unknown.',
  },
  {
    key: 'iptables.sample.dport',
    type: 'string',
    default: '',
    description: 'Destination port of the sample packet (0-65535). Empty: unknown.',
  },
  {
    key: 'iptables.sample.in',
    type: 'string',
    default: '',
    description: 'Incoming interface of the sample packet (PREROUTING, INPUT, FORWARD). Empty: unknown.',
  },
  {
    key: 'iptables.sample.out',
    type: 'string',
    default: '',
    description: 'Outgoing interface of the sample packet (FORWARD, OUTPUT, POSTROUTING). Empty: unknown.',
  },
  {
    key: 'iptables.sample.state',
    type: 'string',
    default: '',
    description: 'Conntrack state of the sample packet: NEW, ESTABLISHED, RELATED, INVALID or UNTRACKED. Empty: unknown.',
  },
  {
    key: 'iptables.walk.assume',
    type: 'string',
    default: 'nomatch',
    description: 'Where the packet walk meets a match it cannot decide on the sample (-m statistic, -m recent, -m set...): `nomatch` follows the rule as not matching, `match` as matching.',
  },
];

const SEVERITIES = new Set(['off', 'hint', 'information', 'warning', 'error']);

/** Turn the client's `iptables` configuration section into service settings; bad values fall back to defaults. */
export function readSettings(section: unknown): ServiceSettings {
  const s = (section && typeof section === 'object' ? section : {}) as Record<string, any>;
  const num = (v: unknown, d: number) => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
    if (typeof v === 'string') {
      const n = parseWhole(v.trim());
      if (n !== null) return n;
    }
    return d;
  };
  const diagnostics: Record<string, SeverityOverride> = {};
  const d = s.diagnostics;
  if (d && typeof d === 'object') {
    for (const [k, v] of Object.entries(d)) if (typeof v === 'string' && SEVERITIES.has(v)) diagnostics[k] = v as SeverityOverride;
  }
  return {
    sample: {
      nfmark: num(s.sample?.nfmark, DEFAULT_SERVICE_SETTINGS.sample.nfmark),
      ctmark: num(s.sample?.ctmark, DEFAULT_SERVICE_SETTINGS.sample.ctmark),
    },
    diagnostics,
    inlayHints: { marks: typeof s.inlayHints?.marks === 'boolean' ? s.inlayHints.marks : DEFAULT_SERVICE_SETTINGS.inlayHints.marks },
    packet: samplePacketFields(s.sample),
    walk: { assume: s.walk?.assume === 'match' ? 'match' : 'nomatch' },
  };
}

/** The sample packet's fields among the `iptables.sample` settings: strings, '' meaning unknown. */
function samplePacketFields(sample: unknown): ServiceSettings['packet'] {
  const out: ServiceSettings['packet'] = {};
  if (!sample || typeof sample !== 'object') return out;
  for (const k of PACKET_KEYS) {
    const v = (sample as Record<string, unknown>)[k];
    if ((typeof v === 'string' && v.trim()) || typeof v === 'number') out[k] = String(v).trim();
  }
  return out;
}
