'use strict';
/** The POS Hub Zapier app: definition assembled from lib/ and the generated contract fields. */
const authentication = require('./lib/authentication');
const { addApiKey, handleHubErrors } = require('./lib/hub');
const { triggers } = require('./lib/triggers');
const { creates } = require('./lib/creates');
const { searches } = require('./lib/searches');
const { orderCreates, orderSearches } = require('./lib/orders');

const byKey = (list) => Object.fromEntries(list.map((item) => [item.key, item]));

module.exports = {
  version: require('./package.json').version,
  platformVersion: require('zapier-platform-core').version,
  authentication,
  // The hub's 429 carries Retry-After; handle it in handleHubErrors rather than core's generic error.
  flags: { throwForThrottlingEarly: false },
  beforeRequest: [addApiKey],
  afterResponse: [handleHubErrors],
  triggers: byKey(triggers),
  creates: byKey([...creates, ...orderCreates]),
  searches: byKey([...searches, ...orderSearches]),
};
