'use strict';
const { App, appTester, bundleWith, hub, nock } = require('./helpers');


test('find menu item queries the hub and puts the exact SKU match first', async () => {
  hub()
    .get('/v1/menu-items')
    .query({ q: 'sal-caesar' })
    .reply(200, [
      { id: 'itm_2', sku: 'SAL-CAESAR-XL', name: 'Caesar salad XL' },
      { id: 'itm_1', sku: 'SAL-CAESAR', name: 'Caesar salad' },
    ]);
  const items = await appTester(App.searches.find_menu_item.operation.perform, bundleWith({ inputData: { query: 'sal-caesar' } }));
  expect(items.map((i) => i.id)).toEqual(['itm_1', 'itm_2']);
});

test('find menu item returns nothing when the hub knows no match', async () => {
  hub().get('/v1/menu-items').query({ q: 'nothing' }).reply(200, []);
  const items = await appTester(App.searches.find_menu_item.operation.perform, bundleWith({ inputData: { query: 'nothing' } }));
  expect(items).toEqual([]);
});
