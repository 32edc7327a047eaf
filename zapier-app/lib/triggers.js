'use strict';
/** Polling and instant (REST hook) triggers over the hub's events, plus hidden dropdown triggers. */
const fields = require('../generated/fields.json');
const { hubUrl } = require('./hub');
const { buildBody } = require('./body');
const { TRIGGER_NOUNS, titleCase } = require('./names');

const POLL_LIMIT = 100;

const filterValues = (name, bundle) => buildBody(fields.triggers[name].filters, bundle.inputData || {});

/** Newest events first, optionally filtered; the shape Zapier deduplicates by `id`. */
const listEvents = (name) => async (z, bundle) => {
  const limit = bundle.meta && bundle.meta.isLoadingSample ? 3 : POLL_LIMIT;
  const response = await z.request({
    url: hubUrl(bundle, `/v1/triggers/${name}`),
    params: { ...filterValues(name, bundle), limit },
  });
  return response.data;
};

const subscribe = (name) => async (z, bundle) => {
  const response = await z.request({
    url: hubUrl(bundle, '/v1/hooks'),
    method: 'POST',
    body: { trigger: name, target_url: bundle.targetUrl, filters: filterValues(name, bundle) },
  });
  return response.data;
};

const unsubscribe = async (z, bundle) => {
  const response = await z.request({
    url: hubUrl(bundle, `/v1/hooks/${encodeURIComponent(bundle.subscribeData.id)}`),
    method: 'DELETE',
    skipThrowForStatus: true,
  });
  // A subscription that is already gone (deleted by hand, or after a 410) is unsubscribed.
  if (response.status >= 400 && response.status !== 404 && response.status !== 410) {
    response.skipThrowForStatus = false;
    require('./hub').handleHubErrors(response, z);
  }
  return {};
};

/** The hub POSTs each event as the same item the poll returns. */
const receiveHook = (z, bundle) => {
  const payload = bundle.cleanedRequest;
  return Array.isArray(payload) ? payload : [payload];
};

const operationBase = (name) => ({
  inputFields: fields.triggers[name].filters,
  outputFields: fields.triggers[name].outputFields,
  sample: fields.triggers[name].sample,
});

const pollingTrigger = (name) => ({
  key: name,
  noun: TRIGGER_NOUNS[name],
  display: {
    label: titleCase(fields.triggers[name].title),
    description: fields.triggers[name].description,
  },
  operation: { ...operationBase(name), type: 'polling', perform: listEvents(name) },
});

const instantTrigger = (name) => ({
  key: `${name}_instant`,
  noun: TRIGGER_NOUNS[name],
  display: {
    label: `${titleCase(fields.triggers[name].title)} (Instant)`,
    description: `${fields.triggers[name].description} Arrives within seconds.`,
  },
  operation: {
    ...operationBase(name),
    type: 'hook',
    performSubscribe: subscribe(name),
    performUnsubscribe: unsubscribe,
    perform: receiveHook,
    performList: listEvents(name),
  },
});

const DROPDOWNS = {
  locationList: { lookup: 'location', path: '/v1/locations', noun: 'Location' },
  connectionList: { lookup: 'connection', path: '/v1/connections', noun: 'Connection' },
  menuItemList: { lookup: 'menu_item', path: '/v1/menu-items', noun: 'Menu Item' },
  couponList: { lookup: 'coupon', path: '/v1/coupons', noun: 'Coupon' },
  orderList: { lookup: 'order', path: '/v1/orders', noun: 'Order' },
};

/**
 * One page of a lookup for a dynamic dropdown. Zapier counts pages in bundle.meta.page (0 first) and
 * keeps the hub's X-Next-Cursor between them in z.cursor; an empty cursor after page 0 means the
 * previous page was the last, so nothing more is listed (rather than page 1 again).
 */
const listChoices = (path) => async (z, bundle) => {
  const page = (bundle.meta && bundle.meta.page) || 0;
  const cursor = page > 0 ? await z.cursor.get() : null;
  if (page > 0 && !cursor) return [];
  const response = await z.request({ url: hubUrl(bundle, path), params: cursor ? { cursor } : {} });
  // Always stored, also when empty, so a cursor left from an earlier listing is never reused.
  await z.cursor.set(response.headers.get('x-next-cursor') || '');
  return response.data;
};

const dropdownTrigger = (key, { lookup, path, noun }) => ({
  key,
  noun,
  display: {
    label: `List ${titleCase(fields.lookups[lookup].title)}s`,
    description: fields.lookups[lookup].description,
    hidden: true,
  },
  operation: {
    type: 'polling',
    // "Load more" in the dropdown asks for the next page (contract B: cursor / X-Next-Cursor).
    canPaginate: true,
    perform: listChoices(path),
    outputFields: fields.lookups[lookup].outputFields,
    ...(fields.lookups[lookup].sample ? { sample: fields.lookups[lookup].sample } : {}),
  },
});

const TRIGGER_NAMES = Object.keys(fields.triggers);

const triggers = [
  ...TRIGGER_NAMES.map(pollingTrigger),
  ...TRIGGER_NAMES.map(instantTrigger),
  ...Object.entries(DROPDOWNS).map(([key, spec]) => dropdownTrigger(key, spec)),
];

module.exports = { triggers, DROPDOWNS };
