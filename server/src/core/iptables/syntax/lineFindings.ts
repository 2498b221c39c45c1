/** Findings (diagnostics before LSP) and those an entry carries on its own, computed when it is parsed. */
import type { Entry, RuleEntry } from './entry';
import { Word } from './lexer';
import { MarkOp, Shift } from '../../marks/marks';
import { hex } from '../../common/numbers';
import { BUILTIN_TARGETS } from '../knowledge/commands';

import type { Severity } from '../../common/finding';
import type { IptablesCode, IptablesFinding } from '../knowledge/codes';

export type { Severity };
/** A finding of an iptables file: its code is one of IPTABLES_CODES. */
export type Finding = IptablesFinding;

const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/**
 * Why iptables refuses a user chain's name (`:NAME` or `-N NAME`), in its words, or null:
 * 29 characters or more, a leading `-` or `!`, a verdict's name, a space character (`\r`...).
 */
export function chainNameProblem(name: string): string | null {
  if (name.length >= 29 || utf8Bytes(name) >= 29) return `chain name \`${name}' too long (must be under 29 chars)`;
  if (name[0] === '-' || name[0] === '!') return `chain name not allowed to start with \`${name[0]}'`;
  if (name === 'ACCEPT' || name === 'DROP' || name === 'QUEUE' || name === 'RETURN') return 'chain name may not clash with target name';
  if (/[\r\v\f]/.test(name)) return `Invalid chain name \`${name}'`;
  return null;
}

function utf8Bytes(s: string): number {
  let n = 0;
  for (const ch of s) n += ch.codePointAt(0)! < 0x80 ? 1 : ch.codePointAt(0)! < 0x800 ? 2 : ch.codePointAt(0)! < 0x10000 ? 3 : 4;
  return n;
}

export function wordFinding(entryLine: number, w: Word, code: IptablesCode, message: string, severity: Severity = 'error'): Finding {
  return { code, severity, message, line: entryLine + w.l, s: w.s, endLine: entryLine + w.el, e: w.e };
}

/**
 * What an entry says about itself, independent of the lines around it; line numbers are
 * relative to the entry, so they survive edits above it.
 */
export function entryFindings(e: Entry, restore: boolean): Finding[] | undefined {
  const out: Finding[] = [];
  for (const p of e.problems ?? []) {
    out.push({ code: p.code ?? 'unterminated-quote', severity: p.severity, message: p.message, line: p.l, s: p.s, endLine: p.el, e: p.e });
  }
  switch (e.k) {
    case 'sample':
      for (const p of e.sample.problems) out.push(wordFinding(0, p.word, 'sample-invalid', p.message, 'warning'));
      break;
    case 'chain': {
      // as iptables-restore 1.8.9 reads `:NAME POLICY [counters]` (counters only with --counters)
      const name = e.name.text;
      const problem = name ? chainNameProblem(name) : null;
      if (!name) out.push(wordFinding(0, { ...e.name, s: 0 }, 'policy-invalid', 'chain name invalid'));
      else if (problem) out.push(wordFinding(0, e.name, 'chain-name', problem));
      else if (!e.policy)
        out.push(wordFinding(0, e.name, 'policy-invalid', 'policy invalid: a chain line needs a policy (ACCEPT, DROP or - for a user chain)'));
      else {
        if (BUILTIN_CHAINS.has(name) && !/^(ACCEPT|DROP|-)$/.test(e.policy.text))
          out.push(wordFinding(0, e.policy, 'policy-invalid', `Bad policy name: \`${e.policy.text}' (iptables-restore: line failed)`));
      }
      if (e.counters && !/^\[\d+:\d+\]$/.test(e.counters.text)) {
        out.push(
          wordFinding(
            0,
            e.counters,
            'bad-argument',
            `Bad counters \`${e.counters.text}': iptables-restore ignores them, and refuses them with --counters`,
            'warning',
          ),
        );
      }
      break;
    }
    case 'table':
    case 'commit':
      for (const w of e.extra) out.push(wordFinding(0, w, 'bad-argument', `Bad argument \`${w.text}'`));
      break;
    case 'rule':
      ruleFindings(e, out, restore);
      break;
  }
  return out.length ? out : undefined;
}

function ruleFindings(e: RuleEntry, out: Finding[], restore: boolean): void {
  const r = e.rule;
  for (const p of r.problems) out.push(wordFinding(0, p.word, p.code, p.message, p.severity));
  if (restore && r.table) {
    out.push(wordFinding(0, r.table, 'restore-table-option', 'The -t option cannot be used in iptables-restore: the table comes from the *table line'));
  }
  if (!r.command && e.words.length && !r.problems.length && !e.words.some((w) => w.unknown)) {
    out.push(wordFinding(0, e.words[0], 'no-command', 'no command specified (-A, -I, -N, ...)'));
  }
  // `-N NAME`: the name checks of a chain line, and no target's name (iptables tries to load
  // a target of that name: LOG, MARK, TEE... clash; -E does not check)
  const c = r.command;
  if (c?.spec.kind === 'new' && c.chain && !c.chain.unknown) {
    const name = c.chain.text;
    const problem = chainNameProblem(name) ?? (BUILTIN_TARGETS.has(name) ? 'chain name may not clash with target name' : null);
    if (problem) out.push(wordFinding(0, c.chain, 'chain-name', problem));
  }
  if (r.needs) {
    const chain = r.command?.chain && !r.command.chain.unknown ? r.command.chain.text : undefined;
    for (const n of r.needs) {
      out.push({ ...wordFinding(0, n.word, 'target-hook', ''), needs: { chain, ext: n.ext, tables: n.tables, hooks: n.hooks } });
    }
  }
  for (const m of r.marks) {
    if (m.result === 'unknown') continue;
    if ('message' in m.result) {
      out.push(wordFinding(0, m.result.word ?? r.exts[m.extIndex].name, 'mark-invalid', m.result.message));
      continue;
    }
    const x = r.exts[m.extIndex];
    const last = x.opts.length ? x.opts[x.opts.length - 1] : undefined;
    const end = last ? (last.args.length ? last.args[last.args.length - 1] : last.name) : x.name;
    const span: Word = { text: '', l: x.name.l, s: x.name.s, el: end.el, e: end.e };
    const noop = markNoop(m.result);
    if (noop) out.push(wordFinding(0, span, 'mark-noop', noop, 'warning'));
    const never = markNever(m.result);
    if (never) out.push(wordFinding(0, span, 'mark-unsatisfiable', never, 'warning'));
  }
}

const shiftBits = (x: number, sh: Shift): number => (!sh ? x >>> 0 : sh.dir === 'left' ? (x << sh.bits) >>> 0 : (x >>> 0) >>> sh.bits);

/** Why a mark write changes no mark whatever the packet's marks are, or null. */
export function markNoop(op: MarkOp): string | null {
  switch (op.kind) {
    case 'xset':
      if (op.ext !== 'MARK' || op.value !== 0 || op.mask !== 0) return null;
      return 'This MARK rule changes nothing: the kernel computes nfmark = (nfmark & ~0x0) ^ 0x0, the same nfmark for every packet';
    case 'ct-set':
      if (op.value !== 0 || op.mask !== 0 || (op.shift && op.shift.bits !== 0)) return null;
      return 'This CONNMARK rule changes nothing: the kernel computes ctmark = (ctmark & ~0x0) ^ 0x0, the same ctmark for every connection';
    case 'ct-save':
      if (op.ctmask !== 0 || shiftBits(op.nfmask, op.shift) !== 0) return null;
      return `This CONNMARK --save-mark changes nothing: ctmask 0x0 keeps every ctmark bit and (nfmark & ${hex(op.nfmask)})${op.shift ? ' shifted' : ''} is always 0`;
    case 'ct-restore':
      if (op.nfmask !== 0 || shiftBits(op.ctmask, op.shift) !== 0) return null;
      return `This CONNMARK --restore-mark changes nothing: nfmask 0x0 keeps every nfmark bit and (ctmark & ${hex(op.ctmask)})${op.shift ? ' shifted' : ''} is always 0`;
    default:
      return null;
  }
}

/** Why a mark test can never match (its value has bits its mask clears), or null. */
export function markNever(op: MarkOp): string | null {
  if (op.kind !== 'match' || op.invert || (op.value & ~op.mask) >>> 0 === 0) return null;
  const what = op.ext === 'mark' ? 'nfmark' : 'ctmark';
  return `This test never matches: the kernel compares (${what} & ${hex(op.mask)}) == ${hex(op.value)}, and ${hex(op.value)} has bits (${hex((op.value & ~op.mask) >>> 0)}) outside the mask`;
}
