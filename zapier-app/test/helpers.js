'use strict';
/** Shared test setup: the app tester, a fake hub URL and samples taken from the contracts. */
const nock = require('nock');
const zapier = require('zapier-platform-core');
const App = require('../index');
const fields = require('../generated/fields.json');

// Each jest test file loads its own nock; the previous file's interceptor must be undone first,
// and no request may reach a real network.
beforeAll(() => {
  if (!nock.isActive()) nock.activate();
  nock.disableNetConnect();
});
afterEach(() => nock.cleanAll());
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

const HUB = 'https://hub.test';
const API_KEY = 'hub_live_automation_key';
const appTester = zapier.createAppTester(App);

const bundleWith = (extra = {}) => ({ authData: { hub_url: `${HUB}/`, api_key: API_KEY }, ...extra });

const hub = () => nock(HUB, { reqheaders: { authorization: `Bearer ${API_KEY}` } });

const problem = (status, title, extra = {}) => ({
  type: `https://pos-hub.dev/problems/${status}`, title, status, ...extra,
});

/** The error a failed perform rejected with, for assertions on its type and message. */
const rejection = async (promise) => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
};

module.exports = { App, HUB, API_KEY, appTester, bundleWith, hub, problem, rejection, fields, nock };

/**
 * Zapier's cursor store for dropdown paging (z.cursor), which the app tester reaches over Zapier's
 * RPC API: answered here by nock, one store per test, so paging runs through the real z.cursor.
 */
const RPC = 'https://rpc.zapier.com';
const fakeCursorStore = () => {
  process.env.ZAPIER_DEPLOY_KEY = process.env.ZAPIER_DEPLOY_KEY || 'test-deploy-key';
  const store = { cursor: null, calls: [] };
  nock(RPC)
    .persist()
    .post('/cli')
    .reply(200, (_uri, body) => {
      const { id, method, params } = typeof body === 'string' ? JSON.parse(body) : body;
      store.calls.push(method);
      if (method === 'set_cursor') store.cursor = params[0];
      return { id, result: method === 'get_cursor' ? store.cursor : null };
    });
  return store;
};

module.exports.fakeCursorStore = fakeCursorStore;
