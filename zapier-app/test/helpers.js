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
