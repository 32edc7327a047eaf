'use strict';
/** "Wait for the POS": perform hands the hub Zapier's callback URL (contract C); performResume reads the run. */
const fs = require('fs');
const path = require('path');
const { App, appTester, bundleWith, hub, rejection, fields } = require('./helpers');

// The hub posts the same JSON as GET /v1/actions/<id> (schemas/common/action_run.json).
const schemaExample = require('../../schemas/common/action_run.json').examples[0];
const recordedCallback = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'action_run_callback.json'), 'utf8'));
// The app tester's stand-in for z.generateCallbackUrl().
const TESTER_CALLBACK_URL = 'https://auth-json-server.zapier-staging.com/echo';

const queued = fields.actions.update_menu.sample;
const allSucceeded = {
  ...schemaExample,
  status: 'succeeded',
  summary: '3 of 3 connections updated',
  deliveries: schemaExample.deliveries.map((d) => ({ ...d, status: 'succeeded', last_error: null })),
};

const sent = (action) => {
  const seen = {};
  hub()
    .post(`/v1/actions/${action}`, (body) => {
      seen.body = body;
      return true;
    })
    .reply(202, queued);
  return seen;
};

test.each(['update_menu', 'publish_coupon'])('%s offers "Wait for the POS", off by default, and hides Callback URL', (name) => {
  const keys = App.creates[name].operation.inputFields.map((f) => f.key);
  const wait = App.creates[name].operation.inputFields.find((f) => f.key === 'wait_for_pos');
  expect(wait).toMatchObject({ label: 'Wait for the POS', type: 'boolean', default: 'false', required: false });
  expect(keys).not.toContain('callback_url');
  expect(typeof App.creates[name].operation.performResume).toBe('function');
});

test('without waiting the create answers at once and sends no callback_url', async () => {
  const seen = sent('update_menu');
  const result = await appTester(App.creates.update_menu.operation.perform, bundleWith({ inputData: { items: [{ sku: 'A', available: 'true' }] } }));
  expect(seen.body).toEqual({ items: [{ sku: 'A', available: true }] });
  expect(result.status).toBe(queued.status);
});

test('waiting sends Zapier\'s callback URL as callback_url', async () => {
  const seen = sent('publish_coupon');
  await appTester(
    App.creates.publish_coupon.operation.perform,
    bundleWith({ inputData: { code: 'LUNCH10', discount_type: 'percent', percent_off: '10', wait_for_pos: 'true' } }),
  );
  expect(seen.body).toEqual({ code: 'LUNCH10', discount_type: 'percent', percent_off: '10', callback_url: TESTER_CALLBACK_URL });
});

test('performResume gives the finished run when every POS took the change', async () => {
  const result = await appTester(App.creates.update_menu.operation.performResume, { outputData: queued, cleanedRequest: allSucceeded });
  expect(result).toEqual(allSucceeded);
});

test('performResume fails the step with the POS\'s message when a delivery is dead (the schema example)', async () => {
  const error = await rejection(
    appTester(App.creates.update_menu.operation.performResume, { outputData: queued, cleanedRequest: schemaExample }),
  );
  const { message, code } = JSON.parse(error.message);
  expect(code).toBe('DeliveryDead');
  expect(message).toBe(
    '2 of 3 connections updated; 1 failed and can be retried. Not taken by this POS:\n' +
      "- Simphony – Hamburg canteen: permanent [401]: the POS rejected the hub's credentials\n" +
      'Fix the cause, then have the run retried in the hub (run run_3e4f5a6b7c8d9e0f).',
  );
});

test('performResume depends only on the callback body: a recorded hub callback replays the same', async () => {
  const a = await rejection(appTester(App.creates.publish_coupon.operation.performResume, { cleanedRequest: recordedCallback }));
  const b = await rejection(appTester(App.creates.update_menu.operation.performResume, { outputData: { id: 'other' }, cleanedRequest: recordedCallback }));
  expect(a.message).toBe(b.message);
  expect(JSON.parse(a.message).message).toMatch(/permanent \[401\]/);
});

test('the callback fixture is an action run as the contract describes it', () => {
  const schema = require('../../schemas/common/action_run.json');
  for (const key of schema.required) expect(recordedCallback).toHaveProperty(key);
  for (const key of Object.keys(recordedCallback)) expect(Object.keys(schema.properties)).toContain(key);
});

test('a callback before the run ended is a clear error, not a result', async () => {
  const running = require('../../schemas/common/action_run.json').examples[1];
  const error = await rejection(appTester(App.creates.publish_coupon.operation.performResume, { cleanedRequest: running }));
  expect(JSON.parse(error.message).message).toMatch(/before run run_9a8b7c6d5e4f3a2b ended \(status in_progress\)/);
});
