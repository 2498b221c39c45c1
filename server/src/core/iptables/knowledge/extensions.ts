/**
 * The match and target extensions real rule sets use, as data: every option with its
 * number of argument words, whether `!` may precede it, how its value is checked (with
 * iptables' own message), what it excludes, and its documentation (our words). Checked
 * against iptables 1.8.9 (nf_tables) and the kernel by test/kernel/extensions-differential.
 * The mark options (MARK, CONNMARK, TPROXY --tproxy-mark, -m mark, -m connmark) are
 * interpreted by marks.ts; their entries here carry arity and documentation only.
 */

import { ExtOption, ExtSpec, PORT_PROTOS } from './extensionModel';
import { MATCH_EXTENSIONS } from './matchExtensions';
import { TARGET_EXTENSIONS } from './targetExtensions';

export type { ExtOption, ExtSpec };
export { natHasPorts } from './extensionModel';

export const EXTENSIONS: ExtSpec[] = [...MATCH_EXTENSIONS, ...TARGET_EXTENSIONS];

const MATCHES = new Map<string, ExtSpec>();
const TARGETS = new Map<string, ExtSpec>();
const OPTION_INDEX = new Map<ExtSpec, Map<string, ExtOption>>();
for (const e of EXTENSIONS) {
  (e.kind === 'match' ? MATCHES : TARGETS).set(e.name, e);
  const m = new Map<string, ExtOption>();
  for (const x of e.options) for (const n of x.names) m.set(n, x);
  OPTION_INDEX.set(e, m);
}
// -p icmpv6 and -p ipv6-icmp load icmp6
const PROTO_MATCH: Record<string, string> = {
  tcp: 'tcp',
  '6': 'tcp',
  udp: 'udp',
  '17': 'udp',
  icmp: 'icmp',
  '1': 'icmp',
  icmpv6: 'icmp6',
  'ipv6-icmp': 'icmp6',
  '58': 'icmp6',
};

/** The spec of a match (`-m name`) or target (`-j NAME`), if this project models it. */
export function extensionSpec(kind: 'match' | 'target', name: string): ExtSpec | undefined {
  return (kind === 'match' ? MATCHES : TARGETS).get(name);
}

/** The match `-p proto` loads implicitly, if modelled (`tcp` for `-p 6`). */
export function protocolMatch(proto: string): string | undefined {
  return PROTO_MATCH[proto.toLowerCase()];
}

/** The option of a spec that has this exact long name. */
export function findExtOption(spec: ExtSpec, name: string): ExtOption | undefined {
  // the parser asks the same question two or three times in a row for one option
  if (spec === lastSpec && name === lastName) return lastOption;
  lastSpec = spec;
  lastName = name;
  return (lastOption = OPTION_INDEX.get(spec)!.get(name));
}
let lastSpec: ExtSpec | undefined;
let lastName = '';
let lastOption: ExtOption | undefined;

/**
 * What the final checks of a spec need, worked out once: the options that exclude others,
 * each with the options it excludes in the spec's order, and the mandatory options in order.
 */
export interface SpecPlan {
  excl: { name: string; others: ExtOption[] }[];
  mandatory: ExtOption[];
}
const PLANS = new Map<ExtSpec, SpecPlan>();
for (const e of EXTENSIONS) {
  PLANS.set(e, {
    excl: e.options.filter((x) => x.excl).map((x) => ({ name: x.names[0], others: e.options.filter((y) => x.excl!.includes(y.names[0])) })),
    mandatory: e.options.filter((x) => x.mandatory),
  });
}
/** The plan of a modelled spec (computed on demand for a spec built elsewhere). */
export function specPlan(spec: ExtSpec): SpecPlan {
  let p = PLANS.get(spec);
  if (!p) {
    p = {
      excl: spec.options.filter((x) => x.excl).map((x) => ({ name: x.names[0], others: spec.options.filter((y) => x.excl!.includes(y.names[0])) })),
      mandatory: spec.options.filter((x) => x.mandatory),
    };
    PLANS.set(spec, p);
  }
  return p;
}

/** Every long option name of a spec. */
export const extOptionNames = (spec: ExtSpec): string[] => spec.options.flatMap((x) => x.names);

export const NAT_PORT_PROTOS = PORT_PROTOS;
