'use strict';
const { App, appTester, bundleWith, hub, problem, rejection, nock } = require('./helpers');

const me = { hub: { id: 'hub_a1', name: 'GreenBox Meals', timezone: 'Europe/Berlin', currency: 'EUR' }, scope: 'automation', connection_id: null, key_id: 'key_1' };


test('the auth test sends the key as a bearer token to /v1/me and returns the hub', async () => {
  hub().get('/v1/me').reply(200, me);
  const result = await appTester(App.authentication.test, bundleWith());
  expect(result.hub.name).toBe('GreenBox Meals');
});

test('the connection label is the hub name', async () => {
  const label = await appTester(App.authentication.connectionLabel, bundleWith({ inputData: me }));
  expect(label).toBe('GreenBox Meals');
});

test('a rejected key tells the user to reconnect with a valid API key', async () => {
  hub().get('/v1/me').reply(401, problem(401, 'Unauthorized'), { 'Content-Type': 'application/problem+json' });
  const error = await rejection(appTester(App.authentication.test, bundleWith()));
  expect(error.name).toBe('ExpiredAuthError');
  expect(error.message).toMatch(/API key/);
});

test('a key of the wrong scope is named as such', async () => {
  hub().get('/v1/me').reply(403, problem(403, 'Forbidden', { detail: 'This key has the pos scope.' }), {
    'Content-Type': 'application/problem+json',
  });
  const error = await rejection(appTester(App.authentication.test, bundleWith()));
  const { message } = JSON.parse(error.message);
  expect(message).toMatch(/This key has the pos scope\. Use an API key with the "automation" scope/);
  expect(message).not.toMatch(/\.\./);
});

test('a hub URL without http(s) is refused before any request', async () => {
  const error = await rejection(
    appTester(App.authentication.test, { authData: { hub_url: 'hub.test', api_key: 'k' } }),
  );
  expect(error.message).toMatch(/must start with https:\/\//);
  expect(nock.pendingMocks()).toEqual([]);
});

test('a pos-scope key is refused: the test names the missing scope and what to do', async () => {
  hub().get('/v1/me').reply(200, { ...me, scope: 'pos', connection_id: 'con_1' });
  const error = await rejection(appTester(App.authentication.test, bundleWith()));
  const { message, code } = JSON.parse(error.message);
  expect(code).toBe('WrongScope');
  expect(message).toMatch(/"pos" scope/);
  expect(message).toMatch(/needs the "automation" scope/);
  expect(message).toMatch(/Create an API key with the automation scope in your hub/);
});

test('an admin key can use the app', async () => {
  hub().get('/v1/me').reply(200, { ...me, scope: 'admin' });
  const result = await appTester(App.authentication.test, bundleWith());
  expect(result.scope).toBe('admin');
});

test('an http:// hub URL is refused, as the message says, unless the hub is on this computer', async () => {
  const error = await rejection(
    appTester(App.authentication.test, { authData: { hub_url: 'http://hub.example.com', api_key: 'k' } }),
  );
  expect(error.message).toMatch(/must start with https:\/\//);
  expect(error.message).toMatch(/http:\/\/localhost/);
  expect(nock.pendingMocks()).toEqual([]);

  nock('http://localhost:5000').get('/v1/me').reply(200, me);
  const local = await appTester(App.authentication.test, { authData: { hub_url: 'http://localhost:5000', api_key: 'k' } });
  expect(local.hub.name).toBe('GreenBox Meals');
});

test('zapier-app/.env (where invoke keeps the API key) is git-ignored', () => {
  const { execFileSync } = require('child_process');
  // check-ignore exits 0 when the path is ignored and 1 when it is not (which throws here).
  expect(() => execFileSync('git', ['check-ignore', '-q', '.env'], { cwd: require('path').join(__dirname, '..') })).not.toThrow();
});
