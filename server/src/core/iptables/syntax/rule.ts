import type { IptablesCode } from '../knowledge/codes';
import { protocolProblem } from '../knowledge/protocols';
import { COMMANDS, CORE_LONG_OPTIONS, CORE_OPTIONS, CommandSpec } from '../knowledge/commands';
import { MARK_EXTENSIONS, MarkExtension, isMarkExtension } from '../../marks/marks';
import { markOptionNames, markOptionSpec, resolveLongOption } from './markOptions';
import { Word } from './lexer';
import { ExtOption, ExtSpec } from '../knowledge/extensions';
import { NAT_PORT_PROTOS, extOptionNames, extensionSpec, findExtOption, protocolMatch, specPlan } from '../knowledge/extensions';
import { XT_PROTO_MATCHES, anyNatPorts, badMask, evaluateMarkExt, nftNative, rangeReversed, tcpSynTested } from './ruleFacts';
import { Ext, Opt, Rule, RuleProblem } from './ruleTypes';

/**
 * From a rule's words to its structure: the command and chain, core options, the match and
 * target extensions with the options each owns (as iptables assigns them: the most recently
 * loaded extension that has the option), and the kernel form of every mark extension.
 */

export const looksLikeOption = (w: Word): boolean => {
  const t = w.text;
  if (w.quoted || t.length < 2 || t.charCodeAt(0) !== 45) return false;
  const c = t.charCodeAt(1);
  return c < 48 || c > 57; // `-5` is a negative number, not an option
};

/**
 * The command or core option a word names. Every key of COMMANDS and CORE_OPTIONS starts
 * with `-`, so other words are not looked up at all (cheaper, and a word such as `toString`
 * does not find Object.prototype's members).
 */
export type CoreSpec = (typeof CORE_OPTIONS)[string];
export const COMMAND_MAP = new Map<string, CommandSpec>(Object.entries(COMMANDS));
export const CORE_MAP = new Map<string, CoreSpec>(Object.entries(CORE_OPTIONS));
/** `-X` forms by the letter's code, so the commonest words are found without hashing them. */
export const SHORT_COMMAND: (CommandSpec | undefined)[] = [];
export const SHORT_CORE: (CoreSpec | undefined)[] = [];
for (const [k, v] of COMMAND_MAP) if (k.length === 2) SHORT_COMMAND[k.charCodeAt(1)] = v;
for (const [k, v] of CORE_MAP) if (k.length === 2) SHORT_CORE[k.charCodeAt(1)] = v;
export const commandOf = (key: string): CommandSpec | undefined => {
  if (key.charCodeAt(0) !== 45) return undefined;
  if (key.length === 2) return SHORT_COMMAND[key.charCodeAt(1)];
  return key.charCodeAt(1) === 45 ? COMMAND_MAP.get(key) : undefined;
};
export const coreOf = (key: string): CoreSpec | undefined => {
  if (key.charCodeAt(0) !== 45) return undefined;
  if (key.length === 2) return SHORT_CORE[key.charCodeAt(1)];
  return key.charCodeAt(1) === 45 ? CORE_MAP.get(key) : undefined;
};

/** Core options whose value iptables 1.8.9 takes as the whole word when it is attached (`-ptcp` is protocol "-ptcp"). */
export const WHOLE_WORD_VALUE = new Set(['--protocol', '--source', '--destination', '--in-interface', '--out-interface', '--jump']);

/**
 * A cluster of short options as getopt reads it, as separate words: `-nvL` is `-n -v -L`; the
 * first letter that takes an argument takes the rest of the word (`-AINPUT` is `-A INPUT`,
 * `-Lnv` lists chain "nv"). -p/-s/-d/-i/-o/-j's attached value is marked: iptables 1.8.9
 * takes the whole word as the value there (`-ptcp` is protocol "-ptcp"), while later
 * versions (the 1.8.11 test vectors) read it as getopt does; the model follows the later.
 * Null when a letter is not one of iptables' own.
 */
export function splitCluster(w: Word): Word[] | null {
  const t = w.text;
  const out: Word[] = [];
  for (let k = 1; k < t.length; k++) {
    const c = t.charCodeAt(k);
    const cmd = SHORT_COMMAND[c];
    const core = SHORT_CORE[c];
    if (!cmd && !core) return null;
    out.push({ ...w, text: '-' + t[k], s: k === 1 ? w.s : w.s + k, e: w.s + k + 1 });
    const takesArg = cmd ? cmd.chainArg !== 'none' : core!.args > 0;
    if (!takesArg || k + 1 === t.length) continue;
    const value: Word = { ...w, text: t.slice(k + 1), s: w.s + k + 1 };
    if (core && WHOLE_WORD_VALUE.has(core.canonical)) value.attached = t;
    out.push(value);
    return out;
  }
  return out;
}

/** Every proper prefix of a command's or core option's long name (most option words are none: one lookup). */
export const CORE_PREFIXES = new Set<string>();
for (const n of CORE_LONG_OPTIONS) for (let k = 1; k < n.length; k++) CORE_PREFIXES.add(n.slice(0, k));

/** A unique prefix of a command's or core option's long name, as getopt_long expands it, among the options loaded. */
export function longCorePrefix(rule: Rule, key: string): string | undefined {
  const name = key.slice(2);
  // one set lookup for most words; `--delete`, `--list` are names and prefixes at once
  if (!CORE_PREFIXES.has(name) || commandOf(key) || coreOf(key)) return undefined;
  for (const ext of rule.exts) if (!isModelled(ext) || ownsExactly(ext, name)) return undefined;
  const r = resolveLongOption(name, [...rule.exts.flatMap(optionNamesOf), ...CORE_LONG_OPTIONS]);
  if (!r || !('name' in r)) return undefined;
  const full = '--' + r.name;
  return commandOf(full) || coreOf(full) ? full : undefined;
}

/** isMarkExtension, with the length test first: most names (`KUBE-SEP-...`) are not hashed. */
export const MARK_NAME_MAX = Math.max(...MARK_EXTENSIONS.map((n) => n.length));
export const isMark = (name: string): name is MarkExtension => name.length <= MARK_NAME_MAX && isMarkExtension(name);

export const report = (rule: Rule, word: Word, message: string, code: IptablesCode, severity: RuleProblem['severity'] = 'error'): void => {
  rule.problems.push({ word, message, code, severity });
};

/** Parse the words of one iptables invocation or restore line (program name excluded). */
/**
 * `chains`: the user chains of the rule's table whose names are also targets' (`:LOG - [0:0]`):
 * a `-j`/`-g` to one of them jumps to the chain, which takes no options (iptables: unknown option).
 */
export function interpretRule(input: Word[], chains?: ReadonlySet<string>): Rule {
  let words = input;
  const rule: Rule = { command: undefined, table: undefined, counters: undefined, core: [], exts: [], marks: [], problems: [] };
  let neg: Word | undefined;
  let hasProtocol = false;
  let protocol: Opt | undefined;
  let protoLoaded = false;
  /** Core letters seen (bit per CORE_LETTER entry). */
  let coreSeen = 0;
  let i = 0;

  while (i < words.length) {
    const w = words[i];
    if (w.unknown) {
      // a shell expansion may stand for any number of words: judge nothing about it, nor
      // what the last extension lacks (`-j MARK $OPTS` may hold its options)
      if (rule.exts.length) rule.exts[rule.exts.length - 1].opaque = true;
      i++;
      continue;
    }
    if (w.text === '!' && !w.quoted) {
      if (neg) report(rule, w, 'multiple consecutive ! not allowed', 'bad-negation');
      neg = w;
      i++;
      continue;
    }
    let key = w.text;
    let inlineArg: Word | undefined;
    if (!w.quoted && key.length > 2 && key.charCodeAt(0) === 45 && key.charCodeAt(1) !== 45 && looksLikeOption(w)) {
      // getopt's short-option clusters: `-nvL`, `-AINPUT`, `-ptcp`
      const split = splitCluster(w);
      if (split) {
        if (words === input) words = input.slice();
        words.splice(i, 1, ...split);
        continue;
      }
    }
    if (!w.quoted && key.charCodeAt(0) === 45 && key.charCodeAt(1) === 45) {
      const k = key.indexOf('=');
      if (k >= 0) {
        inlineArg = { ...w, text: key.slice(k + 1), s: w.s + k + 1 };
        key = key.slice(0, k);
      }
      // getopt_long takes a unique prefix of a long name: `--app`, `--new`, `--proto`
      key = longCorePrefix(rule, key) ?? key;
      // iptables 1.8.9 reads -p/-s/-d/-i/-o/-j's value as argv[optind-1]: all of `--proto=tcp`
      if (inlineArg && WHOLE_WORD_VALUE.has(coreOf(key)?.canonical ?? '')) inlineArg.attached = w.text;
    }
    const cspec = !w.quoted ? commandOf(key) : undefined;
    if (cspec) {
      i++;
      const c: NonNullable<Rule['command']> = { word: w, spec: cspec, chain: undefined, extra: [] };
      if (rule.command) report(rule, w, 'Cannot use more than one command at a time', 'multiple-commands');
      if (inlineArg && cspec.chainArg !== 'none')
        c.chain = inlineArg; // `--append=INPUT`
      else if (cspec.chainArg !== 'none' && i < words.length && (cspec.chainArg === 'required' || !looksLikeOption(words[i]))) {
        c.chain = words[i++];
      }
      for (const x of cspec.extra) {
        if (i < words.length && !looksLikeOption(words[i]) && (!x.optional || /^\d+$/.test(words[i].text) || x.name !== 'rulenum')) {
          c.extra.push(words[i++]);
        } else if (!x.optional) {
          report(
            rule,
            w,
            `${key} requires ${x.name === 'policy' ? 'a policy' : x.name === 'new-name' ? 'a new chain name' : 'a rule number'}`,
            'missing-argument',
          );
        }
      }
      if (cspec.chainArg === 'required' && !c.chain) report(rule, w, `option "${key}" requires an argument`, 'missing-argument');
      rule.command ??= c;
      if (neg) report(rule, neg, 'Cannot use "!" before a command', 'bad-negation');
      neg = undefined;
      continue;
    }
    const core = !w.quoted ? coreOf(key) : undefined;
    if (core) {
      i++;
      const opt: Opt = { name: w, key: core.canonical, neg, args: [] };
      neg = undefined;
      if (inlineArg) opt.args.push(inlineArg);
      while (opt.args.length < core.args) {
        // `-c packets,bytes` is one word on the command line
        if (core.canonical === '--set-counters' && opt.args.length === 1 && opt.args[0].text.includes(',')) break;
        if (core.optionalArg && (i >= words.length || !/^\d+$/.test(words[i].text))) break;
        if (i >= words.length) {
          report(rule, w, `option "${key}" requires an argument`, 'missing-argument');
          break;
        }
        // Pre-1.4.3 negation `-s ! 1.2.3.4`: iptables now rejects it ("Bad argument").
        if (core.invertible && words[i].text === '!' && !words[i].quoted && i + 1 < words.length) {
          report(rule, words[i], `Bad argument \`${words[i + 1].text}'`, 'old-negation');
          i++;
          continue;
        }
        opt.args.push(words[i++]);
      }
      if (opt.neg && !core.invertible) report(rule, opt.neg, `cannot have ! before ${key}`, 'bad-negation');
      const arg = opt.args[0];
      const bit = coreBit(core);
      if (bit !== undefined) {
        if (coreSeen & bit) report(rule, w, `multiple -${CORE_LETTER[core.canonical]} flags not allowed`, 'option-twice');
        coreSeen |= bit;
      }
      if (arg && !arg.unknown) coreValueProblems(rule, core.canonical, opt, arg);
      switch (core.canonical) {
        case '--protocol':
          hasProtocol = true;
          protocol = opt;
          break;
        case '--table':
          if (arg) rule.table = arg;
          break;
        case '--set-counters': {
          rule.counters = opt.args;
          const parts = opt.args.length === 1 && arg ? arg.text.split(/,(.*)/s) : opt.args.map((a) => a.text);
          if (arg && !opt.args.some((a) => a.unknown)) {
            if (!/^\d+$/.test(parts[0] ?? '')) report(rule, arg, '-c packet counter not numeric', 'bad-value');
            else if (!/^\d+$/.test(parts[1] ?? '')) report(rule, opt.args[1] ?? arg, '-c byte counter not numeric', 'bad-value');
          }
          break;
        }
        case '--match':
          if (arg) rule.exts.push({ kind: 'match', name: arg, via: w, opts: [] });
          break;
        case '--jump':
        case '--goto':
          if (arg)
            rule.exts.push(
              chains?.has(arg.text)
                ? { kind: 'target', name: arg, via: w, opts: [], chain: true, spec: null }
                : { kind: 'target', name: arg, via: w, opts: [] },
            );
          // iptables refuses a target name holding a space character (a CR of a CRLF line end)
          if (arg && !arg.unknown && /[\r\v\f]/.test(arg.text)) report(rule, arg, `Invalid target name \`${arg.text}'`, 'bad-value');
          break;
      }
      rule.core.push(opt);
      continue;
    }
    if (looksLikeOption(w)) {
      i++;
      const name = key.charCodeAt(1) === 45 ? key.slice(2) : key.slice(1);
      let owner = findOwner(rule, name);
      let resolved = ownerName;
      if (owner < 0 && protocol && !protoLoaded && protocol.args[0] && !protocol.args[0].unknown) {
        // iptables loads the protocol's match on the first option nobody else owns
        protoLoaded = true;
        const pm = protocolMatch(protocol.args[0].text);
        if (pm) {
          rule.exts.push({ kind: 'match', name: { ...protocol.args[0], text: pm }, via: protocol.name, opts: [], implicit: true });
          owner = findOwner(rule, name);
          resolved = ownerName;
        }
      }
      const opt: Opt = { name: w, key, neg, args: [] };
      neg = undefined;
      if (inlineArg) opt.args.push(inlineArg);
      const ownerExt = owner >= 0 ? rule.exts[owner] : undefined;
      const markSpec = ownerExt && !ownerExt.chain && isMark(ownerExt.name.text) ? markOptionSpec(ownerExt.name.text, resolved) : undefined;
      const xspec = ownerExt && !markSpec ? specOf(ownerExt) : undefined;
      const xopt = xspec ? findExtOption(xspec, resolved) : undefined;
      if (markSpec) {
        if (markSpec.takesArg && !inlineArg && i < words.length) opt.args.push(words[i++]);
      } else if (xopt) {
        opt.canon = xopt.names[0];
        if (xopt.args >= 1 && !inlineArg && i < words.length) opt.args.push(words[i++]);
        if (xopt.args === 2 && i < words.length && !looksLikeOption(words[i]) && !(words[i].text.startsWith('!') && !words[i].quoted))
          opt.args.push(words[i++]);
        if (opt.args.length < xopt.args && !opt.args.some((a) => a.unknown)) {
          if (xopt.args === 2 && opt.args.length === 1)
            report(rule, w, xopt.names[0] === 'tcp-flags' ? '--tcp-flags requires two args.' : `option "${key}" requires two arguments`, 'missing-argument');
          else report(rule, w, `option "${key}" requires an argument`, 'missing-argument');
        }
      } else if (!inlineArg) {
        // Unknown arity: the words up to the next option or `!` are its arguments.
        while (i < words.length && !looksLikeOption(words[i]) && !(words[i].text === '!' && !words[i].quoted)) opt.args.push(words[i++]);
      }
      if (ownerExt) ownerExt.opts.push(opt);
      else if (hasProtocol && !(protocol?.args[0] && protocolMatch(protocol.args[0].text)))
        rule.core.push(opt); // an unmodelled protocol's match
      else {
        report(rule, w, `unknown option "${key}"`, 'unknown-option');
        rule.core.push(opt);
      }
      continue;
    }
    // after a shell expansion with no command yet (`${IPT} "$action" FORWARD`), the expansion
    // may be the command whose chain or number this word is: unknown, not an error
    if (!(rule.command === undefined && words.slice(0, i).some((x) => x.unknown))) report(rule, w, `Bad argument \`${w.text}'`, 'bad-argument');
    i++;
  }
  if (neg) report(rule, neg, 'nothing appropriate following !', 'bad-negation');
  extensionProblems(rule, protocol);
  for (let extIndex = 0; extIndex < rule.exts.length; extIndex++) {
    const ext = rule.exts[extIndex];
    const name = ext.name.text;
    if (!isMark(name) || ext.chain) continue;
    if ((ext.kind === 'target') !== (name === name.toUpperCase())) continue;
    rule.marks.push({ ext: name, extIndex, result: evaluateMarkExt(name, ext) });
  }
  return rule;
}

export const specOf = (ext: Ext): ExtSpec | undefined => {
  if (ext.spec === undefined) ext.spec = (ext.name.unknown ? undefined : extensionSpec(ext.kind, ext.name.text)) ?? null;
  return ext.spec ?? undefined;
};
export const isModelled = (ext: Ext): boolean =>
  ext.chain ? true : isMark(ext.name.text) ? (ext.kind === 'target') === (ext.name.text === ext.name.text.toUpperCase()) : !!specOf(ext);
export const ownsExactly = (ext: Ext, name: string): boolean => {
  const n = ext.name.text;
  if (ext.chain) return false;
  if (isMark(n) && isModelled(ext)) return !!markOptionSpec(n, name);
  const sp = specOf(ext);
  return !!sp && !!findExtOption(sp, name);
};
export const optionNamesOf = (ext: Ext): string[] => {
  const n = ext.name.text;
  if (ext.chain) return [];
  if (isMark(n) && isModelled(ext)) return markOptionNames(n);
  const sp = specOf(ext);
  return sp ? extOptionNames(sp) : [];
};

/**
 * The most recently loaded extension that has the option (getopt_long's unique prefixes
 * included); an extension this project does not model may own anything.
 */
export function findOwner(rule: Rule, name: string): number {
  ownerName = name;
  for (let k = rule.exts.length - 1; k >= 0; k--) if (ownsExactly(rule.exts[k], name)) return k;
  for (let k = rule.exts.length - 1; k >= 0; k--) if (!isModelled(rule.exts[k])) return k;
  if (rule.exts.length) {
    const r = resolveLongOption(name, [...rule.exts.flatMap(optionNamesOf), ...CORE_LONG_OPTIONS]);
    if (r && 'name' in r) {
      for (let k = rule.exts.length - 1; k >= 0; k--) {
        if (ownsExactly(rule.exts[k], r.name)) {
          ownerName = r.name;
          return k;
        }
      }
    }
  }
  return -1;
}
/** The option name findOwner resolved (getopt's prefix expanded), set by each call. */
export let ownerName = '';

/** Core options that iptables refuses to see twice, by their letter. */
export const CORE_LETTER: Record<string, string> = {
  '--protocol': 'p',
  '--source': 's',
  '--destination': 'd',
  '--in-interface': 'i',
  '--out-interface': 'o',
  '--jump': 'j',
  '--goto': 'g',
  '--fragment': 'f',
};
export const CORE_LETTER_BIT = new Map(Object.keys(CORE_LETTER).map((k, n) => [k, 1 << n]));
/** The bit of a core option's letter, by the spec object (no string hashing). */
export const CORE_BIT = new Map<CoreSpec, number | undefined>();
export const coreBit = (core: CoreSpec): number | undefined => {
  let b = CORE_BIT.get(core);
  if (b === undefined && !CORE_BIT.has(core)) CORE_BIT.set(core, (b = CORE_LETTER_BIT.get(core.canonical)));
  return b;
};

export function coreValueProblems(rule: Rule, canonical: string, opt: Opt, arg: Word): void {
  const t = arg.text;
  if (arg.attached) {
    // iptables 1.8.9 takes the whole option word as the value (`-ptcp`); later versions do not
    const whole = arg.attached;
    const refusal =
      canonical === '--protocol'
        ? `unknown protocol "${whole}" specified`
        : canonical === '--source' || canonical === '--destination'
          ? `host/network \`${whole}' not found`
          : canonical === '--jump'
            ? `Chain '${whole}' does not exist`
            : whole.length > 15
              ? `interface name \`${whole}' must be shorter than IFNAMSIZ (15)`
              : undefined;
    const in189 = refusal ? `refuses the rule: ${refusal}` : `takes \`${whole}' as the interface name`;
    report(
      rule,
      arg,
      `iptables 1.8.9 reads all of \`${whole}' as the value and ${in189}; later versions read \`${t}'. Write the value as its own word.`,
      'attached-argument',
      'warning',
    );
  }
  switch (canonical) {
    case '--in-interface':
    case '--out-interface':
      if (t.length > 15) report(rule, arg, `interface name \`${t}' must be shorter than IFNAMSIZ (15)`, 'bad-value');
      break;
    case '--source':
    case '--destination': {
      const bad = t.indexOf(',') < 0 ? badMask(t) : null;
      if (bad !== null) report(rule, arg, `invalid mask \`${bad}' specified`, 'bad-value');
      if (t.indexOf(',') >= 0) {
        // a comma list: every part must name an address; `!` is refused before the lookup
        if (opt.neg) report(rule, arg, '! not allowed with multiple source or destination IP addresses', 'bad-negation');
        else if (t.split(',').some((part) => part === '')) report(rule, arg, "host/network `' not found", 'bad-value');
      } else if (opt.neg && /\/(?:0+|0+(?:\.0+){3})$/.test(t)) {
        // iptables-nft 1.8.9 builds a zero-length compare for `! x/0` and the kernel refuses
        // it (iptables-legacy loads the rule, which then matches no packet)
        report(
          rule,
          arg,
          `RULE_APPEND failed (Invalid argument): iptables-nft cannot negate \`${t}', a mask of 0 bits that every address matches (iptables-legacy loads it as a rule that never matches)`,
          'negated-any-address',
        );
      }
      break;
    }
    case '--protocol': {
      if (opt.neg && /^0+$/.test(t)) report(rule, arg, 'rule would never match protocol', 'bad-value');
      // -p lowercases its value before the lookup
      const bad = arg.attached ? null : protocolProblem(t.toLowerCase());
      if (bad) report(rule, arg, bad.replace(t.toLowerCase(), t), 'bad-value');
      break;
    }
  }
}

export const PORT_PROTO_SET = new Set(NAT_PORT_PROTOS);

/** iptables' per-option and final checks of every modelled (non-mark) extension, and the kernel's own. */
export function extensionProblems(rule: Rule, protocol: Opt | undefined): void {
  const protoText = protocol?.args[0] && !protocol.args[0].unknown ? protocol.args[0].text.toLowerCase() : undefined;
  // the kernel's protocol checks want `-p x` without `!`
  const proto = protocol?.neg ? undefined : protoText;
  const protoUnknown = !!protocol?.args[0]?.unknown;
  const chain = rule.command?.chain && !rule.command.chain.unknown ? rule.command.chain.text : undefined;
  // iptables' own checks of -i/-o against the chain's name
  for (const c of rule.core) {
    if (!chain) break;
    if (c.key === '--in-interface' && (chain === 'OUTPUT' || chain === 'POSTROUTING'))
      report(rule, c.name, `Can't use -i with ${chain}`, 'interface-direction');
    if (c.key === '--out-interface' && (chain === 'INPUT' || chain === 'PREROUTING')) report(rule, c.name, `Can't use -o with ${chain}`, 'interface-direction');
  }
  for (const ext of rule.exts) {
    if (ext.name.unknown) continue;
    const n = ext.name.text;
    const spec = specOf(ext);
    if (!spec) continue;
    if (spec.tables || spec.hooks) (rule.needs ??= []).push({ word: ext.name, ext: n, tables: spec.tables, hooks: spec.hooks });
    if (isMark(n)) {
      if (n === 'TPROXY' && !protoUnknown && proto !== 'tcp' && proto !== 'udp' && proto !== '6' && proto !== '17') {
        report(rule, ext.name, 'RULE_APPEND failed (Invalid argument): TPROXY needs -p tcp or -p udp', 'protocol-required');
      }
      continue;
    }
    const label = spec.label ?? n;
    const seen = new Map<string, string[]>();
    /** The last option given under a canonical name. */
    const at = (canon: string): Opt | undefined => {
      for (let k = ext.opts.length - 1; k >= 0; k--) if (ext.opts[k].canon === canon) return ext.opts[k];
      return undefined;
    };
    let broken = false;
    const opts = ext.opts;
    for (let oi = 0; oi < opts.length; oi++) {
      const op = opts[oi];
      const canon = op.canon;
      if (!canon) {
        broken = true; // an option from elsewhere
        continue;
      }
      const x = findExtOption(spec, canon)!;
      if (!x.repeatable && seen.has(canon)) {
        report(rule, op.name, x.twice ?? `${label}: option "--${canon}" can only be used once.`, 'option-twice');
        broken = true;
      }
      if (op.neg && !x.invertible) report(rule, op.neg, `${label}: option "--${canon}" cannot be inverted.`, 'bad-negation');
      const args = op.args;
      const na = args.length;
      let texts: string[];
      let unknown = false;
      if (na === 0) texts = [''];
      else if (na === 1) {
        texts = [args[0].text];
        unknown = !!args[0].unknown;
      } else {
        texts = [];
        for (let k = 0; k < na; k++) {
          texts.push(args[k].text);
          if (args[k].unknown) unknown = true;
        }
      }
      if (unknown) broken = true;
      else if (x.check && na === x.args) {
        const upto = Math.min(na, x.args === 2 ? 2 : 1);
        for (let k = 0; k < upto; k++) {
          const a = args[k];
          const msg = x.check(a.text, label, canon);
          if (msg) {
            report(rule, a, msg, 'bad-value');
            broken = true;
            break;
          }
        }
      } else if (na < x.args) broken = true;
      seen.set(canon, texts);
    }
    if (broken || ext.opaque) continue;
    const plan = specPlan(spec);
    // exclusions, in the option table's order as xtables checks them
    let conflict = false;
    for (let xi = 0; xi < plan.excl.length; xi++) {
      const { name, others } = plan.excl[xi];
      if (!seen.has(name)) continue;
      let other: ExtOption | undefined;
      for (let k = 0; k < others.length && !other; k++) if (seen.has(others[k].names[0])) other = others[k];
      if (other) {
        const later = [at(name)!, at(other.names[0])!].sort((p, q) => p.name.l - q.name.l || p.name.s - q.name.s)[1];
        const msg =
          n === 'tcp' ? "Only one of `--syn' or `--tcp-flags'  allowed" : `${label}: option "--${name}" cannot be used together with "--${other.names[0]}".`;
        report(rule, later.name, msg, 'option-conflict');
        conflict = true;
        break;
      }
    }
    if (conflict) continue;
    let missing: ExtOption | undefined;
    for (let k = 0; k < plan.mandatory.length && !missing; k++) if (!seen.has(plan.mandatory[k].names[0])) missing = plan.mandatory[k];
    if (missing) {
      report(rule, ext.name, `${label}: option "--${missing.names[0]}" must be specified`, 'missing-option');
      continue;
    }
    const fin = spec.final?.(seen);
    if (fin) {
      report(rule, ext.name, fin, 'missing-option');
      continue;
    }
    if (spec.proto && !protoUnknown && !(protoText && spec.proto.names.includes(protoText))) report(rule, ext.name, spec.proto.message, 'protocol-required');
    else if (n === 'multiport' && protocol?.neg) report(rule, ext.name, 'multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP', 'protocol-required');
    else if (protocol?.neg && !protoUnknown && XT_PROTO_MATCHES.has(n) && !nftNative(n, seen)) {
      report(
        rule,
        ext.name,
        `RULE_APPEND failed (Invalid argument): with \`! -p\` iptables-nft hands this ${n} match to the kernel's own, which wants the protocol without \`!\` (ports or flags alone it writes as nft expressions, which load)`,
        'protocol-required',
      );
    }
    const needsPorts =
      ((n === 'DNAT' || n === 'SNAT') && (anyNatPorts(seen.get('to-destination')) || anyNatPorts(seen.get('to-source')))) ||
      ((n === 'MASQUERADE' || n === 'REDIRECT') && seen.has('to-ports'));
    if (needsPorts && !protoUnknown && !(protoText && PORT_PROTO_SET.has(protoText))) {
      report(
        rule,
        at('to-destination')?.name ?? at('to-source')?.name ?? at('to-ports')!.name,
        'Need TCP, UDP, SCTP or DCCP with port specification',
        'protocol-required',
      );
    }
    if (n === 'REJECT' && seen.get('reject-with')?.[0].startsWith('tcp-') && !protoUnknown && proto !== 'tcp' && proto !== '6') {
      report(rule, at('reject-with')!.args[0], 'RULE_APPEND failed (Invalid argument): --reject-with tcp-reset needs -p tcp', 'protocol-required');
    }
    if (n === 'TCPMSS' && !protoUnknown && !tcpSynTested(rule, proto)) {
      report(
        rule,
        ext.name,
        'RULE_APPEND failed (Invalid argument): TCPMSS needs -p tcp and a test for SYN (--syn or --tcp-flags ... SYN)',
        'protocol-required',
      );
    }
    if (n === 'TCPMSS' && seen.has('clamp-mss-to-pmtu'))
      (rule.needs ??= []).push({ word: at('clamp-mss-to-pmtu')!.name, ext: 'TCPMSS --clamp-mss-to-pmtu', hooks: ['FORWARD', 'OUTPUT', 'POSTROUTING'] });
    if (n === 'iprange') {
      // a reversed range loads (iptables prints a warning) and never matches
      for (const o of ext.opts) {
        const a = o.args[0];
        if ((o.canon === 'src-range' || o.canon === 'dst-range') && a && !a.unknown && rangeReversed(a.text)) {
          report(rule, a, `xt_iprange: range ${a.text} is reversed and will never match`, 'range-reversed', 'warning');
        }
      }
    }
    if (n === 'addrtype') {
      if (seen.has('limit-iface-in'))
        (rule.needs ??= []).push({ word: at('limit-iface-in')!.name, ext: 'addrtype --limit-iface-in', hooks: ['PREROUTING', 'INPUT', 'FORWARD'] });
      if (seen.has('limit-iface-out'))
        (rule.needs ??= []).push({ word: at('limit-iface-out')!.name, ext: 'addrtype --limit-iface-out', hooks: ['POSTROUTING', 'OUTPUT', 'FORWARD'] });
    }
  }
}
