/**
 * nfrules, the command line: `mark` evaluates one mark target or match on a sample,
 * `check` prints the diagnostics of rule files, `trace` walks a sample packet through a
 * file's rules for one hook.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { checkNft } from './core/nftables/check';
import { evaluateMarkArgs } from './core/iptables/syntax/markOptions';
import { evaluateNftMark } from './core/marks/nftMarks';
import { parseWhole, hex8 } from './core/common/numbers';
import { NfRulesService, DEFAULT_SERVICE_SETTINGS } from './core/service/service';
import { RuleDocument, detectFormat } from './core/iptables/syntax/document';
import { parsePacketString } from './core/common/samplePacket';
import { HOOKS, HOOK_TABLES, isHook } from './core/iptables/knowledge/hooks';
import { WalkResult, walk } from './core/iptables/walk/walk';
import { iptablesTextMarkAccesses } from './core/iptables/checks/marksMap';
import { MarkAccess, buildMarkMap } from './core/marks/bitmap';
import { markMapJson, markMapSvg, markMapTable } from './core/marks/bitmapRender';
import { nftMarkAccesses } from './core/nftables/checks/marksMap';

const USAGE = `usage:
  nfrules mark [--nfmark N] [--ctmark N] [--json] -- -j MARK --or-mark 0x4000
  nfrules mark --nft [--nfmark N] [--ctmark N] [--json] -- meta mark set meta mark or 0x4000
                (exit 2: nft refuses it; 3: outside what nfrules evaluates)
  nfrules check [--json] [-4|-6] [-n|--noflush] FILE...
                (-4/-6: the family of save files, else from the name: rules.v6, ip6tables*...;
                 --noflush: judge as iptables-restore --noflush, on top of rules already loaded)
  nfrules trace FILE --hook PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING [--table TABLE]
                --packet 'src=10.0.0.1 dst=10.96.0.10 proto=tcp dport=80 state=NEW nfmark=0x0'
                [--assume nomatch|match] [--json]
  nfrules marks [--json] [--svg OUT.svg] FILE...   (the mark-bit map: who reads and writes which bits, collisions, warnings)`;

function fail(msg: string, code = 2): never {
  process.stderr.write(escapeControls(msg) + '\n');
  process.exit(code);
}

/**
 * Text from a rules file (or its name) made safe for a terminal: C0 controls but the line
 * end, DEL and C1 controls (U+009B is a one-character CSI) as `\xNN`, so that a file cannot
 * move the cursor, retitle the window or clear the screen of whoever checks it.
 */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** JSON whose strings carry no raw C1 control (JSON.stringify escapes C0 but leaves U+0080-U+009F, and U+2028/9). */
function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The largest input file read (a rules file of 50 MB is already far past any real one). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * A rules file as text, or why it cannot be read: only regular files (a device, a FIFO or a
 * directory is refused before any read: `/dev/zero` never ends), at most MAX_INPUT_BYTES
 * (read in chunks, so a file that grows while read is bounded too).
 */
function readInput(file: string): { text: string } | { error: string } {
  let fd: number | undefined;
  try {
    // O_NONBLOCK: opening a FIFO does not wait for a writer (it is refused just after)
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const what = st.isDirectory()
        ? 'a directory'
        : st.isCharacterDevice()
          ? 'a character device'
          : st.isBlockDevice()
            ? 'a block device'
            : st.isFIFO()
              ? 'a FIFO'
              : st.isSocket()
                ? 'a socket'
                : 'not a file';
      return { error: `not a regular file (${what})` };
    }
    if (st.size > MAX_INPUT_BYTES) return { error: `larger than the limit of ${MAX_INPUT_BYTES / 1024 / 1024} MiB (${st.size} bytes)` };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_INPUT_BYTES) return { error: `larger than the limit of ${MAX_INPUT_BYTES / 1024 / 1024} MiB` };
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
    }
    return { text: Buffer.concat(chunks, total).toString('utf8') };
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Write a long output in pieces (no single string of hundreds of MB). */
function writeLines(lines: Iterable<string>): void {
  let chunk = '';
  for (const l of lines) {
    chunk += l + '\n';
    if (chunk.length > 1 << 20) {
      process.stdout.write(chunk);
      chunk = '';
    }
  }
  if (chunk) process.stdout.write(chunk);
}

/** `mark --nft`: one nft statement or match; exit 2 where nft would refuse it. */
function nftMarkCommand(text: string, sample: { nfmark: number; ctmark: number }, json: boolean): number {
  const r = evaluateNftMark(text, sample);
  if (!r.ok) {
    // exit 2: nft refuses it; exit 3: outside what nfrules evaluates (no verdict)
    if (json) process.stdout.write(safeJson(r.unsupported ? { error: r.error, unsupported: true } : { error: r.error }) + '\n');
    else process.stderr.write(`nfrules: ${escapeControls(r.error)}\n`);
    return r.unsupported ? 3 : 2;
  }
  if (json) {
    process.stdout.write(safeJson({ ...r, input: sample }) + '\n');
    return 0;
  }
  const lines = [
    `does:        ${r.summary}`,
    `grouped:     ${r.grouped}`,
    `kernel:      ${r.kernel}`,
    `listed:      ${r.listed}`,
    `iptables:    ${r.iptables ?? '(none: ' + r.iptablesNote + ')'}`,
    `equivalents: ${r.equivalents.join(' | ')}`,
  ];
  if (r.matches !== undefined) lines.push(`matches:     ${r.matches} (nfmark ${hex8(sample.nfmark)}, ctmark ${hex8(sample.ctmark)})`);
  else {
    lines.push(`nfmark:      ${hex8(sample.nfmark)} -> ${hex8(r.nfmark)} (changed ${hex8(r.changed.nfmark)})`);
    lines.push(`ctmark:      ${hex8(sample.ctmark)} -> ${hex8(r.ctmark)} (changed ${hex8(r.changed.ctmark)})`);
  }
  if (r.noop) lines.push('warning:     a no-op: it writes back the value it read');
  if (r.precedence)
    lines.push(`warning:     nft reads ${r.precedence.parenthesised}; left to right it would be ${r.precedence.leftToRight} (${r.precedence.intended})`);
  if (r.translateShape)
    lines.push(
      `warning:     iptables-translate shape of ${r.translateShape.iptables}${r.translateShape.intended ? `; exact: ${r.translateShape.intended}` : '; nft 1.0.6 has no one-statement form of it'}`,
    );
  process.stdout.write(escapeControls(lines.join('\n')) + '\n');
  return 0;
}

function markCommand(argv: string[]): number {
  const sample = { nfmark: 0, ctmark: 0 };
  let json = false;
  let nft = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (a === '--json') json = true;
    else if (a === '--nft') nft = true;
    else if (a === '--nfmark' || a === '--ctmark') {
      const v = parseWhole(argv[++i] ?? '');
      if (v === null) fail(`${a} needs a number from 0 to 0xffffffff`);
      sample[a === '--nfmark' ? 'nfmark' : 'ctmark'] = v;
    } else if (a.startsWith('-')) {
      // no `--`: the rest is the rule
      break;
    } else fail(USAGE);
  }
  if (nft) return nftMarkCommand(argv.slice(i).join(' '), sample, json);
  const r = evaluateMarkArgs(argv.slice(i), sample);
  if (!r.ok) {
    if (json) process.stdout.write(safeJson({ error: r.error }) + '\n');
    else process.stderr.write(`nfrules: ${escapeControls(r.error)}\n`);
    return 2;
  }
  if (json) {
    const { op: _op, ...rest } = r;
    void _op;
    process.stdout.write(safeJson({ ...rest, input: sample }) + '\n');
    return 0;
  }
  const lines = [
    `saved:       ${r.saved}`,
    `listed:      ${r.listed}`,
    `nft:         ${r.nft ?? '(none: ' + r.nftNote + ')'}`,
    `equivalents: ${r.equivalents.join(' | ')}`,
  ];
  if (r.matches !== undefined) lines.push(`matches:     ${r.matches} (nfmark ${hex8(sample.nfmark)}, ctmark ${hex8(sample.ctmark)})`);
  else {
    lines.push(`nfmark:      ${hex8(sample.nfmark)} -> ${hex8(r.nfmark)}`);
    lines.push(`ctmark:      ${hex8(sample.ctmark)} -> ${hex8(r.ctmark)}`);
  }
  process.stdout.write(escapeControls(lines.join('\n')) + '\n');
  return 0;
}

/** An nftables file: `*.nft`, `nftables.conf`, or a first line `#!... nft -f`. */
function isNftFile(file: string, text: string): boolean {
  return /\.nft$/.test(file) || basename(file) === 'nftables.conf' || /^#!.*\bnft\b.*\s-f\b/.test(text.slice(0, text.indexOf('\n') >>> 0));
}

/** An include of an nftables file: relative to the file, else as nft finds it (cwd, /etc). */
function readInclude(file: string, p: string): string | undefined {
  const tries = isAbsolute(p) ? [p] : [join(dirname(file), p), p, ...(/^\.\.?\//.test(p) ? [] : [join('/etc', p)])];
  for (const t of tries) {
    try {
      return readFileSync(t, 'utf8');
    } catch {
      // next
    }
  }
  return undefined;
}

function checkCommand(argv: string[]): number {
  const json = argv.includes('--json');
  // -4/-6: load as iptables-restore / ip6tables-restore would (else the file's name tells, see familyOfUri)
  const family = argv.includes('-6') ? 6 : argv.includes('-4') ? 4 : undefined;
  // --noflush (-n), as iptables-restore takes it: chains the file does not declare may exist
  const noflush = argv.includes('--noflush') || argv.includes('-n');
  const settings = noflush ? { ...DEFAULT_SERVICE_SETTINGS, noflush: true } : DEFAULT_SERVICE_SETTINGS;
  const files = argv.filter((a) => a !== '--json' && a !== '-4' && a !== '-6' && a !== '--noflush' && a !== '-n');
  if (!files.length) fail(USAGE);
  const service = new NfRulesService();
  const all: object[] = [];
  let errors = 0;
  let unreadable = 0;
  const out: string[] = [];
  for (const file of files) {
    // a file that cannot be read gets its own error line; the others are still checked
    const input = readInput(file);
    if ('error' in input) {
      unreadable++;
      if (json) all.push({ file, error: `cannot read ${file}: ${input.error}` });
      else process.stderr.write(escapeControls(`nfrules: cannot read ${file}: ${input.error}`) + '\n');
      continue;
    }
    const text = input.text;
    if (isNftFile(file, text)) {
      for (const f of checkNft(text, { resolveInclude: (p) => readInclude(file, p) })) {
        if (f.severity === 'error') errors++;
        const rec = {
          file,
          line: f.line + 1,
          column: f.s + 1,
          endLine: f.endLine + 1,
          endColumn: f.e + 1,
          severity: f.severity,
          code: f.code,
          message: f.message,
        };
        if (json) all.push(rec);
        else out.push(escapeControls(`${rec.file}:${rec.line}:${rec.column}: ${rec.severity}: ${rec.message} [${rec.code}]`));
      }
      continue;
    }
    service.open(file, text, undefined, 0, undefined, family);
    // in file order (the per-line, file-level and here-document checks come in separately)
    const ds = service.diagnostics(file, settings).sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    for (const d of ds) {
      const severity = ['', 'error', 'warning', 'information', 'hint'][d.severity ?? 1];
      if (severity === 'error') errors++;
      const rec = {
        file,
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
        endLine: d.range.end.line + 1,
        endColumn: d.range.end.character + 1,
        severity,
        code: String(d.code),
        message: d.message,
      };
      if (json) all.push(rec);
      else out.push(escapeControls(`${rec.file}:${rec.line}:${rec.column}: ${severity}: ${rec.message} [${rec.code}]`));
    }
    service.close(file);
  }
  if (json) process.stdout.write(safeJson(all, 2) + '\n');
  else writeLines(out);
  return unreadable ? 2 : errors ? 1 : 0;
}

/** Indentation levels of a trace line at most (a 25,000-deep chain would indent 50,000 spaces). */
const MAX_INDENT = 20;
/** A rule echoed in a trace line at most this long (a 5 MB rule line is cut). */
const MAX_RULE_ECHO = 200;
const clip = (t: string) => (t.length > MAX_RULE_ECHO ? `${t.slice(0, MAX_RULE_ECHO)}... (${t.length} characters)` : t);

function ruleText(doc: RuleDocument, line: number): string {
  const t = (doc.lines[line] ?? '').trim();
  return doc.format === 'save' ? t.replace(/^-A \S+ /, '') : t;
}

function traceJson(r: WalkResult): object {
  const l = (n: number | undefined) => (n === undefined ? undefined : n + 1);
  return {
    hook: r.hook,
    path: r.path.map((s) => ({
      line: s.line + 1,
      table: s.table,
      chain: s.chain,
      matched: s.matched,
      decided: s.decided,
      ...(s.undecided ? { undecided: s.undecided } : {}),
      ...(s.target !== undefined ? { target: s.target } : {}),
      ...(s.action !== undefined ? { action: s.action } : {}),
      depth: s.depth,
      nfmark: s.after.nfmark,
      ctmark: s.after.ctmark,
    })),
    verdict: r.verdict,
    ...(r.verdictLine !== undefined ? { verdictLine: r.verdictLine + 1 } : {}),
    nfmark: r.nfmark,
    ctmark: r.ctmark,
    tables: r.tables.map((t) => ({ ...t, line: l(t.line), policyLine: l(t.policyLine) })),
    notes: r.notes,
    ...(r.loop ? { loop: { ...r.loop, line: r.loop.line + 1 } } : {}),
  };
}

function traceCommand(argv: string[]): number {
  let file: string | undefined;
  let hook: string | undefined;
  let table: string | undefined;
  let packetText: string | undefined;
  let assume: 'match' | 'nomatch' = 'nomatch';
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`nfrules trace: ${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--json') json = true;
    else if (a === '--hook') hook = value().toUpperCase();
    else if (a === '--table' || a === '-t') table = value();
    else if (a === '--packet') packetText = (packetText ? packetText + ' ' : '') + value();
    else if (a === '--assume') {
      const v = value();
      if (v !== 'match' && v !== 'nomatch') fail(`nfrules trace: --assume is match or nomatch, not ${v}`);
      assume = v;
    } else if (a.startsWith('-')) fail(`nfrules trace: unknown option ${a}\n${USAGE}`);
    else if (file === undefined) file = a;
    else fail(`nfrules trace: one file at a time\n${USAGE}`);
  }
  if (!file) fail(`nfrules trace: no file\n${USAGE}`);
  if (!hook || !isHook(hook)) fail(`nfrules trace: --hook must be one of ${HOOKS.join(', ')}${hook ? ` (got ${hook})` : ''}`);
  if (table !== undefined && !HOOK_TABLES[hook].includes(table))
    fail(`nfrules trace: table ${table} has no ${hook} chain (${hook}: ${HOOK_TABLES[hook].join(', ')})`);
  const pk = parsePacketString(packetText ?? '');
  if ('error' in pk) fail(`nfrules trace: bad --packet${pk.key ? ` key ${pk.key}` : ''}: ${pk.error}`);
  const input = readInput(file);
  if ('error' in input) fail(`nfrules: cannot read ${file}: ${input.error}`);
  const text = input.text;
  const doc = new RuleDocument(text, detectFormat(file, text));
  const r = walk(doc, { hook, table, packet: pk.packet, assume });
  if (json) {
    process.stdout.write(safeJson(traceJson(r)) + '\n');
    return 0;
  }
  const out: string[] = [];
  const w = String(doc.lines.length).length;
  for (const s of r.path) {
    const what = s.decided ? (s.matched ? 'match' : 'no   ') : s.matched ? 'match?' : 'no?  ';
    // two spaces a level, up to MAX_INDENT levels; deeper, the depth is written out
    const indent = s.depth <= MAX_INDENT ? '  '.repeat(s.depth) : `${'  '.repeat(MAX_INDENT)}[depth ${s.depth}] `;
    let t = `${String(s.line + 1).padStart(w)}  ${indent}${s.table}/${s.chain}  ${what}  ${clip(ruleText(doc, s.line))}`;
    if (s.matched) t += `  nfmark ${hex8(s.after.nfmark)} ctmark ${hex8(s.after.ctmark)}`;
    if (!s.decided) t += `  [undecided: ${s.undecided?.join('; ')}; assumed ${s.matched ? 'match' : 'no match'}]`;
    out.push(t);
  }
  for (const t of r.tables) {
    const o = t as typeof t & { skipped?: string; target?: string; absent?: boolean };
    const by = o.absent
      ? 'default (not in the file)'
      : o.skipped
        ? 'skipped'
        : t.line !== undefined
          ? `line ${t.line + 1}${o.target ? ` (${o.target})` : ''}`
          : t.policyLine !== undefined
            ? `policy, line ${t.policyLine + 1}`
            : 'policy (default)';
    out.push(`table ${t.table}/${t.chain}: ${t.verdict} by ${by}`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push(`verdict: ${r.verdict}${r.verdictLine !== undefined ? ` (line ${r.verdictLine + 1})` : ''}`);
  out.push(`nfmark:  ${hex8(r.nfmark)}`);
  out.push(`ctmark:  ${hex8(r.ctmark)}`);
  writeLines(out.map(escapeControls));
  return 0;
}

/** `nfrules marks FILE...`: the mark-bit map of the files together; exit 1 when a warning is found. */
function marksCommand(argv: string[]): number {
  let json = false;
  let svg: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--svg') {
      svg = argv[++i];
      if (svg === undefined) fail(`nfrules marks: --svg needs a file name\n${USAGE}`);
    } else if (a === '--') {
      files.push(...argv.slice(i + 1));
      i = argv.length;
    } else if (a.startsWith('-') && a !== '-') fail(`nfrules marks: unknown option ${a}\n${USAGE}`);
    else files.push(a);
  }
  if (!files.length) fail(`nfrules marks: no file\n${USAGE}`);
  const accesses: MarkAccess[] = [];
  for (const file of files) {
    const input = readInput(file);
    if ('error' in input) fail(`nfrules: cannot read ${file}: ${input.error}`);
    const text = input.text;
    if (isNftFile(file, text)) nftMarkAccesses(file, text, undefined, accesses);
    else iptablesTextMarkAccesses(file, text, detectFormat(file, text), accesses);
  }
  const map = buildMarkMap(accesses);
  if (svg !== undefined)
    writeFileSync(
      svg,
      markMapSvg(map, (x) => x, `Mark bits: ${files.join(', ')}`),
    );
  process.stdout.write(json ? safeJson(markMapJson(map), 2) + '\n' : escapeControls(markMapTable(map)));
  return map.warnings.some((w) => w.severity === 'warning') ? 1 : 0;
}

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  // `nfrules check --help`: the usage, not a file named --help (`--` ends nfrules' own options)
  const own = rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--'));
  if (cmd && (own.includes('--help') || own.includes('-h'))) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  switch (cmd) {
    case 'mark':
      return markCommand(rest);
    case 'check':
      return checkCommand(rest);
    case 'trace':
      return traceCommand(rest);
    case 'marks':
      return marksCommand(rest);
    case '-h':
    case '--help':
    case undefined:
      process.stdout.write(USAGE + '\n');
      return cmd ? 0 : 2;
    default:
      fail(`nfrules: unknown command ${cmd}\n${USAGE}`);
  }
}

process.exitCode = main(process.argv.slice(2));
