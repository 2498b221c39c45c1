/**
 * From a rule's words to its structure: the command and chain, core options, the match and
 * target extensions with the options each owns (as iptables assigns them: the most recently
 * loaded extension that has the option), and the kernel form of every mark extension.
 */
import { COMMANDS, CORE_LONG_OPTIONS, CORE_OPTIONS, CommandSpec } from './knowledge';
import { MarkError, MarkExtension, MarkOp, MarkOption, interpretMarkOptions, isMarkError, isMarkExtension, markOptionNames, markOptionSpec, resolveLongOption } from './marks';
import { Word } from './words';

/** `[!] name args...`; for `--name=value` the name and value are split. */
export interface Opt {
  name: Word;
  /** The option as iptables sees it, e.g. `--set-mark`. */
  key: string;
  neg?: Word;
  args: Word[];
}

export interface Ext {
  kind: 'match' | 'target';
  /** The word naming the extension (`mark` of `-m mark`, `MARK` of `-j MARK`). */
  name: Word;
  /** `-m`, `-j` or `-g`. */
  via: Word;
  opts: Opt[];
}

export interface MarkUse {
  ext: MarkExtension;
  /** Index into Rule.exts. */
  extIndex: number;
  /** The kernel form, an error at a word, or 'unknown' when a value is a shell expansion. */
  result: MarkOp | (MarkError & { word?: Word }) | 'unknown';
}

export interface RuleProblem {
  message: string;
  word: Word;
  severity: 'error' | 'warning' | 'hint';
  code: string;
}

export interface Rule {
  command?: { word: Word; spec: CommandSpec; chain?: Word; extra: Word[] };
  table?: Word;
  counters?: Word[];
  core: Opt[];
  exts: Ext[];
  marks: MarkUse[];
  problems: RuleProblem[];
}

const looksLikeOption = (w: Word): boolean => {
  const t = w.text;
  if (w.quoted || t.length < 2 || t.charCodeAt(0) !== 45) return false;
  const c = t.charCodeAt(1);
  return c < 48 || c > 57; // `-5` is a negative number, not an option
};

/** Parse the words of one iptables invocation or restore line (program name excluded). */
export function interpretRule(words: Word[]): Rule {
  const rule: Rule = { command: undefined, table: undefined, counters: undefined, core: [], exts: [], marks: [], problems: [] };
  let neg: Word | undefined;
  let hasProtocol = false;
  let i = 0;
  const problem = (word: Word, message: string, code: string, severity: RuleProblem['severity'] = 'error') =>
    rule.problems.push({ word, message, code, severity });

  while (i < words.length) {
    const w = words[i];
    if (w.unknown) {
      // a shell expansion may stand for any number of words: judge nothing about it
      i++;
      continue;
    }
    if (w.text === '!' && !w.quoted) {
      if (neg) problem(w, 'multiple consecutive ! not allowed', 'bad-negation');
      neg = w;
      i++;
      continue;
    }
    let key = w.text;
    let inlineArg: Word | undefined;
    if (!w.quoted && key.startsWith('--') && key.includes('=')) {
      const k = key.indexOf('=');
      inlineArg = { ...w, text: key.slice(k + 1), s: w.s + k + 1 };
      key = key.slice(0, k);
    }
    const cspec = !w.quoted ? COMMANDS[key] : undefined;
    if (cspec) {
      i++;
      const c: NonNullable<Rule['command']> = { word: w, spec: cspec, chain: undefined, extra: [] };
      if (rule.command) problem(w, 'Cannot use more than one command at a time', 'multiple-commands');
      if (cspec.chainArg !== 'none' && i < words.length && (cspec.chainArg === 'required' || !looksLikeOption(words[i]))) {
        c.chain = words[i++];
      }
      for (const x of cspec.extra) {
        if (i < words.length && !looksLikeOption(words[i]) && (!x.optional || /^\d+$/.test(words[i].text) || x.name !== 'rulenum')) {
          c.extra.push(words[i++]);
        } else if (!x.optional) {
          problem(w, `${key} requires ${x.name === 'policy' ? 'a policy' : x.name === 'new-name' ? 'a new chain name' : 'a rule number'}`, 'missing-argument');
        }
      }
      if (cspec.chainArg === 'required' && !c.chain) problem(w, `option "${key}" requires an argument`, 'missing-argument');
      rule.command ??= c;
      if (neg) problem(neg, 'Cannot use "!" before a command', 'bad-negation');
      neg = undefined;
      continue;
    }
    const core = !w.quoted ? CORE_OPTIONS[key] : undefined;
    if (core) {
      i++;
      const opt: Opt = { name: w, key: core.canonical, neg, args: [] };
      neg = undefined;
      if (inlineArg) opt.args.push(inlineArg);
      while (opt.args.length < core.args) {
        if (core.optionalArg && (i >= words.length || !/^\d+$/.test(words[i].text))) break;
        if (i >= words.length) {
          problem(w, `option "${key}" requires an argument`, 'missing-argument');
          break;
        }
        // Pre-1.4.3 negation `-s ! 1.2.3.4`: iptables now rejects it ("Bad argument").
        if (core.invertible && words[i].text === '!' && !words[i].quoted && i + 1 < words.length) {
          problem(words[i], `Bad argument \`${words[i + 1].text}'`, 'old-negation');
          i++;
          continue;
        }
        opt.args.push(words[i++]);
      }
      if (opt.neg && !core.invertible) problem(opt.neg, `cannot have ! before ${key}`, 'bad-negation');
      const arg = opt.args[0];
      switch (core.canonical) {
        case '--protocol':
          hasProtocol = true;
          break;
        case '--table':
          if (arg) rule.table = arg;
          break;
        case '--set-counters':
          rule.counters = opt.args;
          break;
        case '--match':
          if (arg) rule.exts.push({ kind: 'match', name: arg, via: w, opts: [] });
          break;
        case '--jump':
        case '--goto':
          if (arg) rule.exts.push({ kind: 'target', name: arg, via: w, opts: [] });
          break;
      }
      rule.core.push(opt);
      continue;
    }
    if (looksLikeOption(w)) {
      i++;
      const name = key.charCodeAt(1) === 45 ? key.slice(2) : key.slice(1);
      const { owner, resolved } = findOwner(rule, name);
      const opt: Opt = { name: w, key, neg, args: [] };
      neg = undefined;
      if (inlineArg) opt.args.push(inlineArg);
      const ownerExt = owner >= 0 ? rule.exts[owner] : undefined;
      const markSpec = ownerExt && isMarkExtension(ownerExt.name.text) ? markOptionSpec(ownerExt.name.text, resolved) : undefined;
      if (markSpec) {
        if (markSpec.takesArg && !inlineArg && i < words.length) opt.args.push(words[i++]);
      } else if (!inlineArg) {
        // Unknown arity: the words up to the next option or `!` are its arguments.
        while (i < words.length && !looksLikeOption(words[i]) && !(words[i].text === '!' && !words[i].quoted)) opt.args.push(words[i++]);
      }
      if (ownerExt) ownerExt.opts.push(opt);
      else if (hasProtocol) rule.core.push(opt); // options of the implicit protocol match
      else {
        problem(w, `unknown option "${key}"`, 'unknown-option');
        rule.core.push(opt);
      }
      continue;
    }
    problem(w, `Bad argument \`${w.text}'`, 'bad-argument');
    i++;
  }
  if (neg) problem(neg, 'nothing appropriate following !', 'bad-negation');
  rule.exts.forEach((ext, extIndex) => {
    const name = ext.name.text;
    if (!isMarkExtension(name)) return;
    if ((ext.kind === 'target') !== (name === name.toUpperCase())) return;
    rule.marks.push({ ext: name, extIndex, result: evaluateMarkExt(name, ext) });
  });
  return rule;
}

/**
 * The most recently loaded extension that has the option (getopt_long's unique prefixes
 * included); an extension this project does not model may own anything.
 */
function findOwner(rule: Rule, name: string): { owner: number; resolved: string } {
  for (let k = rule.exts.length - 1; k >= 0; k--) {
    const n = rule.exts[k].name.text;
    if (isMarkExtension(n) && markOptionSpec(n, name)) return { owner: k, resolved: name };
  }
  const marks = rule.exts.map((e) => e.name.text).filter(isMarkExtension);
  if (marks.length) {
    const r = resolveLongOption(name, [...marks.flatMap(markOptionNames), ...CORE_LONG_OPTIONS]);
    if (r && 'name' in r) {
      for (let k = rule.exts.length - 1; k >= 0; k--) {
        const n = rule.exts[k].name.text;
        if (isMarkExtension(n) && markOptionSpec(n, r.name)) return { owner: k, resolved: r.name };
      }
    }
  }
  for (let k = rule.exts.length - 1; k >= 0; k--) {
    if (!isMarkExtension(rule.exts[k].name.text)) return { owner: k, resolved: name };
  }
  return { owner: -1, resolved: name };
}

function evaluateMarkExt(name: MarkExtension, ext: Ext): MarkUse['result'] {
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
