'use strict';
const fs = require('fs');
const path = require('path');
const { App, appTester, bundleWith, hub, fields, nock, fakeCursorStore } = require('./helpers');

const lowStock = fields.triggers.low_stock.sample;


test('the polling trigger asks for the newest events with the chosen filters', async () => {
  const scope = hub()
    .get('/v1/triggers/low_stock')
    .query({ location_id: 'loc_1', sku: 'SAL-CAESAR', limit: '100' })
    .reply(200, [lowStock]);
  const items = await appTester(
    App.triggers.low_stock.operation.perform,
    bundleWith({ inputData: { location_id: 'loc_1', sku: 'SAL-CAESAR', connection_id: '' } }),
  );
  expect(items).toEqual([lowStock]);
  expect(scope.isDone()).toBe(true);
});

test('every event trigger has a polling and an instant variant', () => {
  for (const name of ['new_purchase', 'low_stock', 'pos_offline', 'pos_online', 'connection_failing', 'connection_recovered']) {
    expect(App.triggers[name].operation.type).toBe('polling');
    expect(App.triggers[`${name}_instant`].operation.type).toBe('hook');
  }
});

test('subscribing registers the Zap URL and filters as a hub hook', async () => {
  let sent;
  hub()
    .post('/v1/hooks', (body) => {
      sent = body;
      return true;
    })
    .reply(201, { id: 'hook_1', secret: 'whsec_abc', trigger: 'low_stock' });
  const result = await appTester(
    App.triggers.low_stock_instant.operation.performSubscribe,
    bundleWith({ targetUrl: 'https://hooks.zapier.com/abc', inputData: { location_id: 'loc_1' } }),
  );
  expect(sent).toEqual({ trigger: 'low_stock', target_url: 'https://hooks.zapier.com/abc', filters: { location_id: 'loc_1' } });
  expect(result.id).toBe('hook_1');
});

test('unsubscribing deletes the hook the subscription created', async () => {
  const scope = hub().delete('/v1/hooks/hook_1').reply(204);
  await appTester(App.triggers.low_stock_instant.operation.performUnsubscribe, bundleWith({ subscribeData: { id: 'hook_1' } }));
  expect(scope.isDone()).toBe(true);
});

test('unsubscribing a hook the hub already deleted succeeds', async () => {
  hub().delete('/v1/hooks/hook_gone').reply(404, { title: 'Not Found', status: 404 });
  await expect(
    appTester(App.triggers.low_stock_instant.operation.performUnsubscribe, bundleWith({ subscribeData: { id: 'hook_gone' } })),
  ).resolves.toEqual({});
});

test('an instant trigger turns the posted event into one item', async () => {
  const items = await appTester(App.triggers.low_stock_instant.operation.perform, bundleWith({ cleanedRequest: lowStock }));
  expect(items).toEqual([lowStock]);
});

test('an instant trigger loads its samples from the polling endpoint', async () => {
  const scope = hub().get('/v1/triggers/pos_offline').query(true).reply(200, [fields.triggers.pos_offline.sample]);
  const items = await appTester(App.triggers.pos_offline_instant.operation.performList, bundleWith({ inputData: {} }));
  expect(items).toHaveLength(1);
  expect(scope.isDone()).toBe(true);
});

test.each([
  ['locationList', '/v1/locations'],
  ['connectionList', '/v1/connections'],
  ['menuItemList', '/v1/menu-items'],
  ['couponList', '/v1/coupons'],
])('the hidden %s dropdown lists %s', async (key, path) => {
  fakeCursorStore();
  hub().get(path).reply(200, [{ id: 'x_1', name: 'One', sku: 'S-1' }]);
  const items = await appTester(App.triggers[key].operation.perform, bundleWith());
  expect(items).toEqual([{ id: 'x_1', name: 'One', sku: 'S-1' }]);
  expect(App.triggers[key].display.hidden).toBe(true);
});

test('filter fields use the dropdowns of locations, connections and menu items', () => {
  const byKey = Object.fromEntries(App.triggers.new_purchase.operation.inputFields.map((f) => [f.key, f]));
  expect(byKey.location_id.dynamic).toBe('locationList.id.name');
  expect(byKey.connection_id.dynamic).toBe('connectionList.id.name');
  expect(byKey.sku.dynamic).toBe('menuItemList.sku.name');
});

test('dropdowns page past 100 entries with the hub cursor ("Load more")', async () => {
  const store = fakeCursorStore();
  const first = Array.from({ length: 100 }, (_, i) => ({ id: `itm_${i + 1}`, sku: `SKU-${i + 1}`, name: `Meal ${i + 1}` }));
  const rest = Array.from({ length: 22 }, (_, i) => ({ id: `itm_${i + 101}`, sku: `SKU-${i + 101}`, name: `Meal ${i + 101}` }));
  const op = App.triggers.menuItemList.operation;
  expect(op.canPaginate).toBe(true);

  hub().get('/v1/menu-items').query({}).reply(200, first, { 'X-Next-Cursor': 'cur_page2' });
  const page0 = await appTester(op.perform, bundleWith({ meta: { page: 0 } }));
  expect(page0).toHaveLength(100);
  expect(store.cursor).toBe('cur_page2');

  // The last page has no X-Next-Cursor: the stored cursor is emptied.
  hub().get('/v1/menu-items').query({ cursor: 'cur_page2' }).reply(200, rest);
  const page1 = await appTester(op.perform, bundleWith({ meta: { page: 1 } }));
  expect(page1.map((i) => i.sku)).toContain('SKU-122');
  expect(store.cursor).toBe('');

  // "Load more" after the last page lists nothing more, without asking the hub for page 1 again.
  const page2 = await appTester(op.perform, bundleWith({ meta: { page: 2 } }));
  expect(page2).toEqual([]);
  expect(nock.pendingMocks()).toEqual([]);
});

test('every dropdown trigger can page', () => {
  for (const key of ['locationList', 'connectionList', 'menuItemList', 'couponList']) {
    expect(App.triggers[key].operation.canPaginate).toBe(true);
  }
});

test('trigger and dropdown samples name real connector types (byte_fridge, not byte)', () => {
  // The connector types the hub has are its connector contracts, schemas/connectors/<type>.json.
  const types = fs.readdirSync(path.join(__dirname, '..', '..', 'schemas', 'connectors')).map((f) => f.replace(/\.json$/, ''));
  expect(types).toContain('byte_fridge');
  const samples = [
    ...Object.keys(fields.triggers).map((name) => App.triggers[name].operation.sample),
    ...Object.keys(fields.triggers).map((name) => App.triggers[`${name}_instant`].operation.sample),
  ];
  const seen = samples.filter((s) => s.connection).map((s) => s.connection.type);
  seen.push(App.triggers.connectionList.operation.sample.type);
  expect(seen.length).toBeGreaterThan(5);
  for (const type of seen) expect(types).toContain(type);
});
