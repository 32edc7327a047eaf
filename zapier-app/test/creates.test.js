'use strict';
const { App, appTester, bundleWith, hub, problem, rejection, fields, nock } = require('./helpers');

const run = fields.actions.update_menu.sample;
const PROBLEM = { 'Content-Type': 'application/problem+json' };


const capture = (path) => {
  const seen = {};
  hub()
    .post(path, (body) => {
      seen.body = body;
      return true;
    })
    .reply(202, run);
  return seen;
};

test('update menu sends line items with nested prices and typed values', async () => {
  const seen = capture('/v1/actions/update_menu');
  const result = await appTester(
    App.creates.update_menu.operation.perform,
    bundleWith({
      inputData: {
        items: [
          { sku: 'SAL-CAESAR', price__amount: '9.20', price__currency: 'EUR', available: 'true', name: '' },
          { sku: 'BWL-TERIYAKI', available: 'no' },
        ],
        connection_ids: ['con_1'],
      },
    }),
  );
  expect(seen.body).toEqual({
    items: [
      { sku: 'SAL-CAESAR', price: { amount: '9.20', currency: 'EUR' }, available: true },
      { sku: 'BWL-TERIYAKI', available: false },
    ],
    connection_ids: ['con_1'],
  });
  expect(result.id).toBe(run.id);
});

test('update menu parses modifiers given as JSON and splits comma-separated location ids', async () => {
  const seen = capture('/v1/actions/update_menu');
  const modifiers = [{ name: 'Dressing', options: [{ name: 'Ranch', price: { amount: '0.00', currency: 'EUR' } }] }];
  await appTester(
    App.creates.update_menu.operation.perform,
    bundleWith({ inputData: { items: [{ sku: 'SAL-1', modifiers: JSON.stringify(modifiers), location_ids: 'loc_1, loc_2' }] } }),
  );
  expect(seen.body.items[0]).toEqual({ sku: 'SAL-1', modifiers, location_ids: ['loc_1', 'loc_2'] });
});

test('publish coupon sends the coupon with its amount off nested', async () => {
  const seen = capture('/v1/actions/publish_coupon');
  await appTester(
    App.creates.publish_coupon.operation.perform,
    bundleWith({
      inputData: {
        code: 'WELCOME2', discount_type: 'fixed', amount_off__amount: '2.00', amount_off__currency: 'EUR',
        skus: ['SAL-CAESAR'], active: true,
      },
    }),
  );
  expect(seen.body).toEqual({
    code: 'WELCOME2', discount_type: 'fixed', amount_off: { amount: '2.00', currency: 'EUR' }, skus: ['SAL-CAESAR'], active: true,
  });
});

test('a rejected body names every bad field by its label', async () => {
  hub()
    .post('/v1/actions/update_menu')
    .reply(
      422,
      problem(422, 'Invalid request', {
        detail: 'The request does not match the contract.',
        errors: [
          { path: '/items/1/price/amount', message: "'9,20' does not match the decimal format" },
          { path: '/connection_ids/0', message: 'unknown connection' },
        ],
      }),
      PROBLEM,
    );
  const error = await rejection(
    appTester(App.creates.update_menu.operation.perform, bundleWith({ inputData: { items: [{ sku: 'A' }] } })),
  );
  const { message, status } = JSON.parse(error.message);
  expect(status).toBe(422);
  expect(message).toContain("Menu items #2 › Price: Amount: '9,20' does not match the decimal format");
  expect(message).toContain('Connection IDs #1: unknown connection');
});

test('a throttled request is retried after the Retry-After delay', async () => {
  hub().post('/v1/actions/publish_coupon').reply(429, problem(429, 'Too Many Requests'), { ...PROBLEM, 'Retry-After': '30' });
  const error = await rejection(
    appTester(App.creates.publish_coupon.operation.perform, bundleWith({ inputData: { code: 'ABC', discount_type: 'percent' } })),
  );
  expect(error.name).toBe('ThrottledError');
  expect(JSON.parse(error.message).delay).toBe(30);
});

test('any other hub problem shows its title and detail', async () => {
  hub()
    .post('/v1/actions/publish_coupon')
    .reply(409, problem(409, 'Idempotency key reused', { detail: 'The key was used with another body.' }), PROBLEM);
  const error = await rejection(
    appTester(App.creates.publish_coupon.operation.perform, bundleWith({ inputData: { code: 'ABC', discount_type: 'percent' } })),
  );
  expect(JSON.parse(error.message).message).toBe('Idempotency key reused: The key was used with another body.');
});

test('action fields offer dropdowns for connections, locations and SKUs', () => {
  const byKey = Object.fromEntries(App.creates.publish_coupon.operation.inputFields.map((f) => [f.key, f]));
  expect(byKey.connection_ids).toMatchObject({ dynamic: 'connectionList.id.name', list: true });
  expect(byKey.location_ids.dynamic).toBe('locationList.id.name');
  expect(byKey.skus.dynamic).toBe('menuItemList.sku.name');
});
