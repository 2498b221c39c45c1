/** Facts rule interpretation reads about values and the kernel: masks, reversed ranges, nft-native matches, TCPMSS's SYN test, mark extensions' results. */
import { MarkExtension } from '../../marks/marks';
import { MarkOption, interpretMarkOptions, isMarkError } from './markOptions';
import { parseWhole } from '../../common/numbers';
import { iprangeV4 } from '../knowledge/valueChecks';
import { natHasPorts } from '../knowledge/extensions';
import { parseIPv6 } from '../../common/net';
import { Ext, MarkUse, Rule } from './ruleTypes';

/**
 * The mask of `-s/-d address/mask` when iptables refuses it (its text), else null: a prefix
 * length is a C number (`0x8` and `+8` read, `08` and `-1` do not) up to 32 for an IPv4
 * address or 128 for IPv6; a dotted mask has four C-number parts of 0-255 (`0xff.0.0.0`
 * reads, `255.08.0.0` does not; non-contiguous is fine).
 */
export function badMask(t: string): string | null {
  const k = t.lastIndexOf('/');
  if (k < 0) return null;
  const mask = t.slice(k + 1);
  if (mask.indexOf(':') >= 0) return null;
  if (mask.indexOf('.') >= 0) {
    const parts = mask.split('.');
    return parts.length === 4 && parts.every((x) => parseWhole(x, 255) !== null) ? null : mask;
  }
  const v = parseWhole(mask, 128);
  if (v === null) return mask;
  return v > 32 && /^\d{1,3}(?:\.\d{1,3}){3}$/.test(t.slice(0, k)) ? mask : null;
}

/** Matches the kernel checks against the rule's protocol (xt_tcpudp, xt_icmp): it refuses an inverted one. */
export const XT_PROTO_MATCHES = new Set(['tcp', 'udp', 'icmp', 'icmp6']);

/**
 * Does iptables-nft 1.8.9 write this tcp/udp match as nft expressions (no kernel match, no
 * protocol check)? Only ports and flags, with no --tcp-option; icmp always goes to the kernel.
 */
export function nftNative(n: string, seen: ReadonlyMap<string, string[]>): boolean {
  if (n === 'udp') return seen.has('source-port') || seen.has('destination-port');
  if (n !== 'tcp' || seen.has('tcp-option')) return false;
  return seen.has('source-port') || seen.has('destination-port') || seen.has('tcp-flags') || seen.has('syn');
}

/** `from-to` of iprange with from above to (both IPv4 or both IPv6). */
export function rangeReversed(t: string): boolean {
  const k = t.indexOf('-');
  if (k < 0) return false;
  const a = t.slice(0, k);
  const b = t.slice(k + 1);
  if (a.includes(':') || b.includes(':')) {
    const x = parseIPv6(a);
    const y = parseIPv6(b);
    if (!x || !y) return false;
    for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i] > y[i];
    return false;
  }
  const x = iprangeV4(a);
  const y = iprangeV4(b);
  return x !== null && y !== null && x > y;
}

export const anyNatPorts = (xs: string[] | undefined): boolean => {
  if (xs) for (let k = 0; k < xs.length; k++) if (natHasPorts(xs[k])) return true;
  return false;
};

/** TCPMSS's kernel check: -p tcp and a tcp match that tests SYN set (not inverted). */
export function tcpSynTested(rule: Rule, proto: string | undefined): boolean {
  if (proto !== 'tcp' && proto !== '6') return false;
  for (const ext of rule.exts) {
    if (ext.kind !== 'match' || ext.name.text !== 'tcp') continue;
    for (const op of ext.opts) {
      // the kernel looks at the flags only, `!` or not
      if (op.canon === 'syn') return true;
      if (op.canon === 'tcp-flags' && op.args.length === 2) {
        const has = (s: string) =>
          s
            .toUpperCase()
            .split(',')
            .some((f) => f === 'SYN' || f === 'ALL');
        if (has(op.args[0].text) && has(op.args[1].text)) return true;
      }
    }
  }
  return false;
}

export function evaluateMarkExt(name: MarkExtension, ext: Ext): MarkUse['result'] {
  if (ext.opaque) return 'unknown';
  const options: MarkOption[] = [];
  for (const o of ext.opts) {
    if (o.args.some((a) => a.unknown)) return 'unknown';
    const mo: MarkOption = { name: o.key.replace(/^--?/, ''), negated: !!o.neg };
    if (o.args.length) mo.arg = o.args[0].text;
    options.push(mo);
  }
  const r = interpretMarkOptions(name, options);
  if (!isMarkError(r)) return r;
  const o = r.option !== undefined ? ext.opts[r.option] : undefined;
  const word = o ? (r.part === 'arg' && o.args[0] ? o.args[0] : o.name) : ext.name;
  return { ...r, word };
}
