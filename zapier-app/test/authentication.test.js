'use strict';
const { App, appTester, bundleWith, hub, problem, rejection, nock } = require('./helpers');

const me = { hub: { id: 'hub_a1', name: 'GreenBox Meals' }, scope: 'automation', connection_id: null, key_id: 'key_1' };


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
  expect(error.message).toMatch(/This key has the pos scope.*automation/);
});

test('a hub URL without http(s) is refused before any request', async () => {
  const error = await rejection(
    appTester(App.authentication.test, { authData: { hub_url: 'hub.test', api_key: 'k' } }),
  );
  expect(error.message).toMatch(/must start with https:\/\//);
  expect(nock.pendingMocks()).toEqual([]);
});
