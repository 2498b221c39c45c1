/**
 * nfrules, the command line: `mark` evaluates one mark target or match on a sample,
 * `check` prints the diagnostics of rule files.
 */
import { readFileSync } from 'node:fs';
import { evaluateMarkArgs } from './core/marks';
import { parseWhole, hex8 } from './core/numbers';
import { NfRulesService, DEFAULT_SERVICE_SETTINGS } from './core/service';

const USAGE = `usage:
  nfrules mark [--nfmark N] [--ctmark N] [--json] -- -j MARK --or-mark 0x4000
  nfrules check [--json] FILE...`;

function fail(msg: string, code = 2): never {
  process.stderr.write(msg + '\n');
  process.exit(code);
}

function markCommand(argv: string[]): number {
  const sample = { nfmark: 0, ctmark: 0 };
  let json = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (a === '--json') json = true;
    else if (a === '--nfmark' || a === '--ctmark') {
      const v = parseWhole(argv[++i] ?? '');
      if (v === null) fail(`${a} needs a number from 0 to 0xffffffff`);
      sample[a === '--nfmark' ? 'nfmark' : 'ctmark'] = v;
    } else if (a.startsWith('-')) {
      // no `--`: the rest is the rule
      break;
    } else fail(USAGE);
  }
  const r = evaluateMarkArgs(argv.slice(i), sample);
  if (!r.ok) {
    if (json) process.stdout.write(JSON.stringify({ error: r.error }) + '\n');
    else process.stderr.write(`nfrules: ${r.error}\n`);
    return 2;
  }
  if (json) {
    const { op: _op, ...rest } = r;
    void _op;
    process.stdout.write(JSON.stringify({ ...rest, input: sample }) + '\n');
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
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

function checkCommand(argv: string[]): number {
  const json = argv.includes('--json');
  const files = argv.filter((a) => a !== '--json');
  if (!files.length) fail(USAGE);
  const service = new NfRulesService();
  const all: object[] = [];
  let errors = 0;
  const out: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      fail(`nfrules: cannot read ${file}: ${(e as Error).message}`);
    }
    service.open(file, text);
    for (const d of service.diagnostics(file, DEFAULT_SERVICE_SETTINGS)) {
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
      else out.push(`${rec.file}:${rec.line}:${rec.column}: ${severity}: ${rec.message} [${rec.code}]`);
    }
    service.close(file);
  }
  process.stdout.write(json ? JSON.stringify(all, null, 2) + '\n' : out.length ? out.join('\n') + '\n' : '');
  return errors ? 1 : 0;
}

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'mark':
      return markCommand(rest);
    case 'check':
      return checkCommand(rest);
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
