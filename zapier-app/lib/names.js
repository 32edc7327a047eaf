'use strict';
/** Names shared by the generator's output and the app. */
const { SEP } = require('../scripts/generate-fields');

// Zapier-facing names of each trigger: the noun Zapier uses in sentences, and a title-cased label.
const TRIGGER_NOUNS = {
  new_purchase: 'Purchase',
  low_stock: 'Stock Alert',
  pos_offline: 'Outage',
  pos_online: 'Recovery',
  connection_failing: 'Failing Connection',
  connection_recovered: 'Recovered Connection',
  order_status_changed: 'Order Status Change',
};

/** "POS back online" → "POS Back Online", keeping words that are already capitalised. */
const titleCase = (text) => String(text).replace(/\b([a-z])/g, (m) => m.toUpperCase());

module.exports = { SEP, TRIGGER_NOUNS, titleCase };
