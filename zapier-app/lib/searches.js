'use strict';
/** Find Menu Item: looks a meal up by SKU or name, an exact SKU match first. */
const fields = require('../generated/fields.json');
const { hubUrl } = require('./hub');

const menuItem = fields.lookups.menu_item;

const rank = (query) => (item) => {
  const q = query.toLowerCase();
  if (String(item.sku || '').toLowerCase() === q) return 0;
  if (String(item.name || '').toLowerCase() === q) return 1;
  return 2;
};

const perform = async (z, bundle) => {
  const query = String(bundle.inputData.query || '').trim();
  const response = await z.request({ url: hubUrl(bundle, '/v1/menu-items'), params: { q: query } });
  const items = Array.isArray(response.data) ? response.data : [];
  const byRank = rank(query);
  return items.map((item, i) => ({ item, i })).sort((a, b) => byRank(a.item) - byRank(b.item) || a.i - b.i).map((x) => x.item);
};

const findMenuItem = {
  key: 'find_menu_item',
  noun: 'Menu Item',
  display: {
    label: 'Find Menu Item',
    description: 'Finds a meal in the catalog by its SKU or its name.',
  },
  operation: {
    inputFields: [
      {
        key: 'query',
        label: `${menuItem.fields.sku.title} or ${menuItem.fields.name.title}`,
        required: true,
        helpText: `${menuItem.fields.sku.description} Or part of the name: ${menuItem.fields.name.description}`,
        placeholder: menuItem.sample ? menuItem.sample.sku : undefined,
      },
    ],
    perform,
    outputFields: menuItem.outputFields,
    sample: menuItem.sample,
  },
};

module.exports = { searches: [findMenuItem] };
