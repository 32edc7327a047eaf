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

test('a 422 says each field once, by the form labels, without raw paths or double periods', async () => {
  // The hub's real 422: its detail repeats every error with its raw path (hub/errors.py).
  const errors = [
    { path: '/amount_off', message: 'Amount off (amount_off) is required.' },
    { path: '/callback_url', message: 'Callback URL (callback_url) must be a full web address, like https://example.com/image.jpg.' },
    { path: '/percent_off', message: 'Percent off (percent_off) must be a percentage written as text, more than 0 and at most 100, like "10".' },
    { path: '/percent_off', message: 'Percent off (percent_off) must have at most 9 characters.' },
    { path: '/somewhere/0/else', message: 'Else (somewhere[0].else) must be text.' },
  ];
  hub()
    .post('/v1/actions/publish_coupon')
    .reply(422, problem(422, 'Unprocessable Content', {
      detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
      errors,
    }), PROBLEM);
  const error = await rejection(
    appTester(App.creates.publish_coupon.operation.perform, bundleWith({ inputData: { code: 'ABC', discount_type: 'fixed' } })),
  );
  const { message } = JSON.parse(error.message);
  const lines = message.split('\n').slice(1);
  expect(lines).toEqual([
    '- Amount off: Amount: is required.',
    '- Wait for the POS: must be a full web address, like https://example.com/image.jpg.',
    '- Percent off: must be a percentage written as text, more than 0 and at most 100, like "10"; must have at most 9 characters.',
    '- Else must be text.',
  ]);
  expect(message).not.toMatch(/\/somewhere|\/amount_off|\[0\]|\(amount_off\)|\.\./);
});

test('a rejected body names every bad field by its label', async () => {
  hub()
    .post('/v1/actions/update_menu')
    .reply(
      422,
      problem(422, 'Invalid request', {
        detail: 'The request does not match the contract.',
        errors: [
          { path: '/items/1/price/amount', message: 'Amount (items[1].price.amount) must be a decimal number written as text, like "8.90".' },
          { path: '/connection_ids/0', message: 'Connection IDs (connection_ids[0]) is not a connection of this hub.' },
        ],
      }),
      PROBLEM,
    );
  const error = await rejection(
    appTester(App.creates.update_menu.operation.perform, bundleWith({ inputData: { items: [{ sku: 'A' }] } })),
  );
  const { message, status } = JSON.parse(error.message);
  expect(status).toBe(422);
  expect(message).toContain('- Menu items #2 › Price: Amount: must be a decimal number written as text, like "8.90".');
  expect(message).toContain('- Connection IDs #1: is not a connection of this hub.');
  expect(message).not.toMatch(/The request does not match the contract|items\[1\]/);
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

test('Clear removes the fields a menu item can lose; an empty field keeps its value', async () => {
  const seen = capture('/v1/actions/update_menu');
  await appTester(
    App.creates.update_menu.operation.perform,
    bundleWith({ inputData: { items: [{ sku: 'SAL-1', description: '', clear: 'Description, image url' }] } }),
  );
  expect(seen.body).toEqual({ items: [{ sku: 'SAL-1', description: null, image_url: null }] });
});

test('Clear refuses a field it cannot remove, naming those it can', async () => {
  const error = await rejection(
    appTester(App.creates.update_menu.operation.perform, bundleWith({ inputData: { items: [{ sku: 'SAL-1', clear: 'Name' }] } })),
  );
  expect(error.message).toMatch(/"Name" is not a field that can be removed here; use one of: Description, Category, Image URL/);
});

test('help texts offer what the form can do, never "send null"', () => {
  const items = App.creates.update_menu.operation.inputFields.find((f) => f.key === 'items').children;
  const byKey = Object.fromEntries(items.map((f) => [f.key, f]));
  const texts = JSON.stringify(App.creates);
  expect(texts).not.toMatch(/send null|an empty value removes it/i);
  expect(byKey.description.helpText).toBe('A short text shown with the meal. Leaving it empty keeps the current value; to remove it, name it in Clear.');
  expect(byKey.clear).toMatchObject({ label: 'Clear', meta: { split: ',' } });
  expect(byKey.clear.helpText).toMatch(/Description, Category, Image URL/);
});

test('publish coupon\'s code is the coupon dropdown, still taking a new code', () => {
  const code = App.creates.publish_coupon.operation.inputFields.find((f) => f.key === 'code');
  expect(code).toMatchObject({ dynamic: 'couponList.code.name', required: true });
  expect(code.helpText).toMatch(/or type a new code/);
  expect(App.triggers.couponList).toBeDefined();
});
