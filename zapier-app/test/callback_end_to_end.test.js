'use strict';
/**
 * "Wait for the POS" end to end against the real hub (issue 12): the app's update_menu perform
 * hands the hub a callback URL, the hub pushes to a sandbox POS and POSTs the finished run to that
 * URL, and performResume turns the posted body into the step's output.
 *
 * The hub runs as a child process from the repo's venv (in-process jobs, temporary SQLite). The
 * callback URL is a local HTTP server standing in for Zapier. Only loopback is used.
 *
 * z.generateCallbackUrl() returns the `callback_url` of the platform's event (zapier-platform-core
 * src/tools/create-callback-wrapper.js); the app tester hard-codes it to Zapier's echo server. So
 * perform runs through the same lambda handler the app tester wraps (zapier.createAppHandler), with
 * the app tester's event and our server as callback_url: nothing in the app or z is stubbed.
 *
 * helpers.js sets nock up as in every other test file (activated here, restored after), so that
 * the platform's one-time patch of the shared http module is undone for the next file in this jest
 * worker; its disableNetConnect is narrowed to loopback, the only network this test uses.
 */
const { spawn, execFile } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const zapier = require('zapier-platform-core');
const { App, appTester, nock } = require('./helpers');

const PYTHON = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');
const REPO = path.resolve(__dirname, '..', '..');
const HAS_PYTHON = fs.existsSync(PYTHON);
if (!HAS_PYTHON) {
  // eslint-disable-next-line no-console
  console.warn(`callback_end_to_end: skipped, no hub venv at ${PYTHON} (run \`make test\` from the repo root).`);
}
const describeWithHub = HAS_PYTHON ? describe : describe.skip;

jest.setTimeout(60000);

const READY_TIMEOUT_MS = 30000;
const CALLBACK_TIMEOUT_MS = 20000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when the promise settles within ms, false otherwise; leaves no timer behind. */
const settlesWithin = (promise, ms) => {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true), late]).finally(() => clearTimeout(timer));
};

/** A port the OS says is free on loopback right now. */
const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = http.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

/** Runs one `python -m hub --json <args>` command and gives its JSON output. */
const hubCli = (env, ...args) =>
  new Promise((resolve, reject) => {
    execFile(PYTHON, ['-m', 'hub', '--json', ...args], { cwd: REPO, env, timeout: 30000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`python -m hub ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout));
      } catch (_e) {
        reject(new Error(`python -m hub ${args.join(' ')} did not print JSON:\n${stdout}\n${stderr}`));
      }
    });
  });

/** A JSON request to the hub from the test itself (plain http, no Zapier machinery). */
const hubGet = (baseUrl, key, urlPath) =>
  new Promise((resolve, reject) => {
    const req = http.get(`${baseUrl}${urlPath}`, { headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });

/** Zapier's side of the callback: records every POST and answers 200. */
const startCallbackServer = () =>
  new Promise((resolve, reject) => {
    const received = [];
    const waiters = [];
    const server = http.createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => {
        text += chunk;
      });
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, text });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{}');
        waiters.splice(0).forEach((wake) => wake());
      });
    });
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const first = async (timeoutMs) => {
        const deadline = Date.now() + timeoutMs;
        while (!received.length) {
          const left = deadline - Date.now();
          if (left <= 0) return null;
          await new Promise((wake) => {
            const timer = setTimeout(wake, left);
            waiters.push(() => {
              clearTimeout(timer);
              wake();
            });
          });
        }
        return received[0];
      };
      resolve({ server, received, first, url: `http://127.0.0.1:${server.address().port}/zapier/hooks/standard/callback` });
    });
  });

describeWithHub('Wait for the POS, end to end against the hub', () => {
  let tmpDir;
  let hubProcess;
  let hubOutput = '';
  let hubExited = null;
  let callbacks;
  let baseUrl;
  let demo;

  beforeAll(async () => {
    nock.enableNetConnect((host) => /^127\.0\.0\.1(:\d+)?$/.test(host));
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pos-hub-e2e-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env = { ...process.env, PYTHONUNBUFFERED: '1', DATABASE_URL: `sqlite:///${path.join(tmpDir, 'hub.db')}` };
    delete env.REDIS_URL; // jobs run in the hub process
    env.HUB_HOOK_ALLOWED_HOSTS = '127.0.0.1'; // the hub may call back to loopback
    env.HUB_BASE_URL = baseUrl;
    env.HUB_SECRET_KEYS = (await hubCli(env, 'generate-secret-key')).key;

    await hubCli(env, 'init-db');
    demo = await hubCli(env, 'demo'); // a hub, a sandbox connection and an automation key
    expect(demo.automation_key).toEqual(expect.any(String));

    callbacks = await startCallbackServer();

    hubProcess = spawn(PYTHON, ['-m', 'hub', 'run', '--host', '127.0.0.1', '--port', String(port)], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk) => {
      hubOutput = (hubOutput + chunk).slice(-20000);
    };
    hubProcess.stdout.on('data', keep);
    hubProcess.stderr.on('data', keep);
    hubProcess.on('exit', (code, signal) => {
      hubExited = { code, signal };
    });

    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (hubExited) throw new Error(`the hub exited before it was ready (${JSON.stringify(hubExited)}):\n${hubOutput}`);
      try {
        const me = await hubGet(baseUrl, demo.automation_key, '/v1/me');
        if (me.status === 200) break;
      } catch (_e) {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the hub did not answer /v1/me within ${READY_TIMEOUT_MS} ms:\n${hubOutput}`);
      await sleep(100);
    }
  });

  afterAll(async () => {
    if (hubProcess && !hubExited) {
      const exited = new Promise((resolve) => hubProcess.once('exit', resolve));
      hubProcess.kill('SIGTERM');
      if (!(await settlesWithin(exited, 5000))) {
        hubProcess.kill('SIGKILL');
        await settlesWithin(exited, 5000);
      }
    }
    if (callbacks) {
      callbacks.server.closeAllConnections();
      await new Promise((resolve) => callbacks.server.close(resolve));
    }
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  test('hub → callback URL → performResume gives the finished run, equal to GET /v1/actions/<id>', async () => {
    const authData = { hub_url: `${baseUrl}/`, api_key: demo.automation_key };
    const inputData = {
      items: [{ sku: 'E2E-SALAD', name: 'End-to-end salad', price__amount: '7.90', price__currency: 'EUR', available: 'true' }],
      wait_for_pos: 'true',
    };

    // perform, through the handler the app tester wraps, with the platform's callback_url set to ours.
    const handler = zapier.createAppHandler(App);
    const performed = await handler({
      command: 'execute',
      method: 'creates.update_menu.operation.perform',
      bundle: { authData, inputData },
      callback_url: callbacks.url,
      zcacheTestObj: {},
    });
    expect(performed.status).toBe('CALLBACK'); // Zapier holds the step until the callback
    const queued = performed.results;
    expect(queued).toMatchObject({ action: 'update_menu', id: expect.stringMatching(/^run_/) });
    expect(queued.callback).toMatchObject({ status: 'waiting' });
    expect(queued.deliveries.map((d) => d.connection_id)).toEqual([demo.sandbox_connection_id]);

    const call = await callbacks.first(CALLBACK_TIMEOUT_MS);
    if (!call) throw new Error(`no callback within ${CALLBACK_TIMEOUT_MS} ms; hub output:\n${hubOutput}`);
    expect(call.method).toBe('POST');
    expect(call.url).toBe(new URL(callbacks.url).pathname);
    expect(call.headers['content-type']).toMatch(/^application\/json/);
    expect(call.headers).toHaveProperty('webhook-id');
    expect(call.headers).toHaveProperty('webhook-signature');
    const body = JSON.parse(call.text);
    expect(body.id).toBe(queued.id);

    // performResume, through the app tester, with the hub's body as Zapier hands it over.
    const resumed = await appTester(App.creates.update_menu.operation.performResume, {
      authData,
      inputData,
      outputData: queued,
      cleanedRequest: body,
    });
    expect(resumed.status).toBe('succeeded');
    expect(resumed.deliveries.length).toBe(1);
    for (const delivery of resumed.deliveries) expect(delivery).toMatchObject({ status: 'succeeded', last_error: null });
    expect(resumed).toEqual(body);

    const got = await hubGet(baseUrl, demo.automation_key, `/v1/actions/${queued.id}`);
    expect(got.status).toBe(200);
    const withoutCallback = ({ callback, ...run }) => run;
    expect(withoutCallback(resumed)).toEqual(withoutCallback(JSON.parse(got.text)));
    expect(body.callback).toMatchObject({ status: 'in_progress', attempts: 1 });
    expect(callbacks.received.length).toBe(1);
  });
});
