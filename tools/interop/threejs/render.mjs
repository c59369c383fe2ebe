#!/usr/bin/env node
// Render a GLB with three.js (the pinned npm package) in headless Debian Chromium.
//
//   node tools/interop/threejs/render.mjs IN.glb OUTDIR [--size WxH] [--fov DEG]
//        [--view NAME:YAW:PITCH]...
//
// Serves page/ , the `three` package and IN.glb on 127.0.0.1 (a random free port, nothing
// else), starts Chromium headless with a fresh profile and every outside connection refused,
// drives it over the DevTools protocol on a pipe (--remote-debugging-pipe: no debugging port),
// and writes OUTDIR/NAME.png for each view plus OUTDIR/report.json (three.js revision, WebGL
// renderer, what GLTFLoader built: meshes, vertex counts, material type and side, texture,
// the scene's extras as userData; the page's console errors).
//
// Views: YAW degrees, positive turns right (towards +X); PITCH degrees, positive looks up;
// --fov is the horizontal field of view (default 90), as in Panoforge's own renders.
// Defaults: --size 256x128 and the single view front:0:0.
//
// Environment: CHROMIUM (default /usr/bin/chromium), PANOFORGE_INTEROP_TIMEOUT_MS (default 60000).
// Exit status: 0 rendered, 1 the page or the browser failed (message on stderr), 2 bad arguments.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const PAGE_DIR = join(HERE, 'page');
const THREE_DIR = join(HERE, 'node_modules', 'three');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT_MS = Number(process.env.PANOFORGE_INTEROP_TIMEOUT_MS || 60000);
let activeBrowser = null; // killed by the watchdog if the page hangs
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.glb': 'model/gltf-binary',
  '.wasm': 'application/wasm' };

function usage(msg) {
  process.stderr.write(`render.mjs: ${msg}\nusage: node render.mjs IN.glb OUTDIR [--size WxH] [--fov DEG] [--view NAME:YAW:PITCH]...\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { width: 256, height: 128, fovDeg: 90, views: [] };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--size') {
      const m = /^(\d+)x(\d+)$/.exec(argv[++i] || '');
      if (!m) usage('--size wants WxH, e.g. 256x128');
      opts.width = Number(m[1]);
      opts.height = Number(m[2]);
    } else if (a === '--fov') {
      opts.fovDeg = Number(argv[++i]);
      if (!(opts.fovDeg > 0 && opts.fovDeg < 180)) usage('--fov wants degrees in (0, 180)');
    } else if (a === '--view') {
      const m = /^([A-Za-z0-9_-]+):(-?[\d.]+):(-?[\d.]+)$/.exec(argv[++i] || '');
      if (!m) usage('--view wants NAME:YAW:PITCH, e.g. right:90:0');
      opts.views.push({ name: m[1], yawDeg: Number(m[2]), pitchDeg: Number(m[3]) });
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`);
    } else {
      rest.push(a);
    }
  }
  if (rest.length !== 2) usage('need IN.glb and OUTDIR');
  [opts.glb, opts.out] = rest.map((p) => resolve(p));
  if (!opts.views.length) opts.views.push({ name: 'front', yawDeg: 0, pitchDeg: 0 });
  return opts;
}

// -- a static server on 127.0.0.1 ----------------------------------------------------------
function serve(glbPath) {
  const routes = [['/page/', PAGE_DIR], ['/three/', THREE_DIR]];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file = null;
    if (url.pathname === '/' || url.pathname === '/index.html') file = join(PAGE_DIR, 'index.html');
    else if (url.pathname === '/scene.glb') file = glbPath;
    else {
      for (const [prefix, root] of routes) {
        if (!url.pathname.startsWith(prefix)) continue;
        const candidate = resolve(root, '.' + decodeURIComponent(url.pathname.slice(prefix.length - 1)));
        if (candidate.startsWith(root + sep)) file = candidate; // nothing outside the two folders
      }
    }
    let body = null;
    try {
      if (file && statSync(file).isFile()) body = readFileSync(file);
    } catch { /* 404 below */ }
    if (body === null) {
      res.writeHead(404).end();
      return;
    }
    const ext = file.slice(file.lastIndexOf('.'));
    res.writeHead(200, { 'Content-Type': TYPES[ext] || 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.end(body);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(server));
  });
}

// -- Chromium over the DevTools protocol on a pipe ------------------------------------------
class Browser {
  constructor(profile) {
    const args = [
      '--headless', '--no-sandbox', '--disable-gpu',
      // WebGL without a GPU: ANGLE on SwiftShader (Chromium's CPU Vulkan), opted in explicitly.
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
      '--disable-quic', '--no-first-run', '--no-default-browser-check',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-extensions', '--disable-default-apps', '--disable-domain-reliability',
      '--disable-client-side-phishing-detection', '--metrics-recording-only', '--mute-audio',
      '--disable-breakpad', '--disable-crash-reporter',
      '--no-proxy-server', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--disable-dev-shm-usage', '--hide-scrollbars', '--force-color-profile=srgb',
      `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank',
    ];
    this.proc = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-8000); });
    this.toBrowser = this.proc.stdio[3];
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = [];
    let buffer = Buffer.alloc(0);
    this.proc.stdio[4].on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      let end;
      while ((end = buffer.indexOf(0)) >= 0) { // messages are NUL-terminated JSON
        const msg = JSON.parse(buffer.subarray(0, end).toString('utf8'));
        buffer = buffer.subarray(end + 1);
        this.dispatch(msg);
      }
    });
    this.exited = new Promise((ok) => this.proc.once('exit', (code, signal) => ok({ code, signal })));
    this.exited.then(({ code, signal }) => {
      for (const { fail } of this.pending.values()) {
        fail(new Error(`chromium exited (code ${code}, signal ${signal}):\n${this.stderr}`));
      }
      this.pending.clear();
    });
  }

  dispatch(msg) {
    if (msg.id !== undefined) {
      const waiter = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (!waiter) return;
      if (msg.error) waiter.fail(new Error(`${waiter.method}: ${msg.error.message}`));
      else waiter.ok(msg.result);
    } else {
      for (const fn of this.listeners) fn(msg);
    }
  }

  send(method, params = {}, sessionId = undefined) {
    const id = this.nextId++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((ok, fail) => {
      this.pending.set(id, { ok, fail, method });
      this.toBrowser.write(JSON.stringify(msg) + '\0');
    });
  }

  async close() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.send('Browser.close').catch(() => {});
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

async function renderInBrowser(opts, origin) {
  const profile = mkdtempSync(join(tmpdir(), 'panoforge-chromium-'));
  const browser = new Browser(profile);
  activeBrowser = browser;
  const pageLog = [];
  try {
    const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
    browser.listeners.push((msg) => {
      if (msg.sessionId !== sessionId) return;
      if (msg.method === 'Runtime.exceptionThrown') {
        const d = msg.params.exceptionDetails;
        pageLog.push(`exception: ${(d.exception && d.exception.description) || d.text}`);
      } else if (msg.method === 'Runtime.consoleAPICalled' && ['error', 'warning'].includes(msg.params.type)) {
        pageLog.push(`console.${msg.params.type}: ${msg.params.args.map((a) => a.value ?? a.description).join(' ')}`);
      } else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
        pageLog.push(`log: ${msg.params.entry.text} ${msg.params.entry.url || ''}`);
      }
    });
    await browser.send('Runtime.enable', {}, sessionId);
    await browser.send('Log.enable', {}, sessionId);
    await browser.send('Page.enable', {}, sessionId);
    await browser.send('Page.navigate', { url: `${origin}/index.html` }, sessionId);
    const call = `(async () => {
      const t0 = Date.now();
      while (!window.panoforgeReady) {
        if (Date.now() - t0 > ${TIMEOUT_MS}) throw new Error('the page did not load view.js');
        await new Promise((r) => setTimeout(r, 20));
      }
      return await window.panoforgeRender(${JSON.stringify({
        width: opts.width, height: opts.height, fovDeg: opts.fovDeg, views: opts.views,
      })});
    })()`;
    const res = await browser.send('Runtime.evaluate', {
      expression: call, awaitPromise: true, returnByValue: true, timeout: TIMEOUT_MS,
    }, sessionId);
    if (res.exceptionDetails) {
      const d = res.exceptionDetails;
      throw new Error(`the page failed: ${(d.exception && d.exception.description) || d.text}\n${pageLog.join('\n')}`);
    }
    return { result: res.result.value, pageLog };
  } finally {
    await browser.close();
    activeBrowser = null;
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  try {
    statSync(opts.glb);
    statSync(join(THREE_DIR, 'package.json'));
  } catch (e) {
    process.stderr.write(`render.mjs: ${e.message}\n(hint: run \`npm ci\` in ${HERE} for three.js)\n`);
    process.exit(1);
  }
  const server = await serve(opts.glb);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const watchdog = setTimeout(() => {
    process.stderr.write(`render.mjs: gave up after ${TIMEOUT_MS} ms\n`);
    if (activeBrowser) activeBrowser.proc.kill('SIGKILL');
    process.exit(1);
  }, TIMEOUT_MS + 15000);
  try {
    const { result, pageLog } = await renderInBrowser(opts, origin);
    mkdirSync(opts.out, { recursive: true });
    const files = {};
    for (const [name, url] of Object.entries(result.images)) {
      const file = join(opts.out, `${name}.png`);
      writeFileSync(file, Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
      files[name] = file;
    }
    delete result.images;
    const report = { ...result, size: [opts.width, opts.height], fovHorizontalDeg: opts.fovDeg,
      views: opts.views, images: files, pageLog };
    writeFileSync(join(opts.out, 'report.json'), JSON.stringify(report, null, 2));
  } catch (e) {
    process.stderr.write(`render.mjs: ${e.stack || e}\n`);
    process.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    server.close();
  }
}

main();
