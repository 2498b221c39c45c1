/**
 * The settings schema, written once: defaults and readers live here, and package.json's
 * `contributes.configuration` mirrors them (a test checks that the two agree).
 */
import { parseWhole } from '../common/numbers';
import { PACKET_KEYS } from '../common/samplePacket';
import { DEFAULT_SERVICE_SETTINGS, ServiceSettings, SeverityOverride } from './service';
import { DIAGNOSTIC_CODES, DiagnosticCode } from './codes';

export interface SettingSpec {
  key: string;
  type: 'string' | 'object' | 'boolean';
  default: unknown;
  description: string;
  enum?: string[];
  /** A JSON-schema pattern the Settings UI checks the value against. */
  pattern?: string;
  additionalProperties?: { type: string; enum: string[] };
}

/** A number as iptables reads it (decimal, 0x hex, 0 octal), with blanks around. */
const NUMBER_PATTERN = '^\\s*\\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\\s*$';

/**
 * One setting per diagnostic code, `iptables.diagnostics.<code>`, from the registry (the
 * `iptables.diagnostics` object works for every code too). `default` keeps the code's own
 * severity: jump-loop is an error or a warning depending on whether a built-in chain reaches
 * the loop; unused-chain is off unless given a severity.
 */
export const DIAGNOSTIC_CODE_SETTINGS: { code: DiagnosticCode; severity: string; description: string }[] = Object.entries(DIAGNOSTIC_CODES).map(
  ([code, info]) => ({
    code: code as DiagnosticCode,
    severity: info.severity,
    description: info.meaning,
  }),
);

export const SETTINGS: SettingSpec[] = [
  {
    key: 'iptables.sample.nfmark',
    type: 'string',
    default: '0x00000000',
    pattern: NUMBER_PATTERN,
    description: 'The packet mark (nfmark) that mark hovers evaluate on, unless a `# sample: nfmark=...` line above says otherwise.',
  },
  {
    key: 'iptables.sample.ctmark',
    type: 'string',
    default: '0x00000000',
    pattern: NUMBER_PATTERN,
    description: 'The connection mark (ctmark) that mark hovers evaluate on, unless a `# sample: ctmark=...` line above says otherwise.',
  },
  {
    key: 'iptables.diagnostics',
    type: 'object',
    default: {},
    additionalProperties: { type: 'string', enum: ['off', 'hint', 'information', 'warning', 'error'] },
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
    description:
      'Source address of the sample packet for the packet walk (IPv4 or IPv6), unless a `# sample: src=...` line above says otherwise. Empty: unknown.',
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
    enum: ['', 'NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'],
    description: 'Conntrack state of the sample packet: NEW, ESTABLISHED, RELATED, INVALID or UNTRACKED. Empty: unknown.',
  },
  {
    key: 'iptables.noflush',
    type: 'boolean',
    default: false,
    description:
      'Judge save files as `iptables-restore --noflush` loads them, on top of rules already there: a jump to a chain the file does not declare is a warning (the chain may exist), not the error a plain `iptables-restore` gives.',
  },
  {
    key: 'iptables.walk.assume',
    type: 'string',
    default: 'nomatch',
    enum: ['nomatch', 'match'],
    description:
      'Where the packet walk meets a match it cannot decide on the sample (`-m statistic`, `-m recent`, `-m set`...): `nomatch` follows the rule as not matching, `match` as matching.',
  },
];

const SEVERITIES = new Set(['off', 'hint', 'information', 'warning', 'error']);

/** Turn the client's `iptables` configuration section into service settings; bad values fall back to defaults. */
export function readSettings(section: unknown): ServiceSettings {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the client's JSON, read leniently field by field
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
    ...(s.noflush === true ? { noflush: true } : {}),
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
