'use strict';
/** Actions: update menu items and publish a coupon; the hub answers 202 with the action run. */
const fields = require('../generated/fields.json');
const { hubUrl } = require('./hub');
const { buildBody } = require('./body');

const DISPLAY = {
  update_menu: { key: 'update_menu', noun: 'Menu Item', label: 'Update Menu Item(s)' },
  publish_coupon: { key: 'publish_coupon', noun: 'Coupon', label: 'Publish Coupon' },
};

const perform = (name) => async (z, bundle) => {
  const response = await z.request({
    url: hubUrl(bundle, `/v1/actions/${name}`),
    method: 'POST',
    body: buildBody(fields.actions[name].inputFields, bundle.inputData || {}),
  });
  return response.data;
};

const create = (name) => ({
  key: DISPLAY[name].key,
  noun: DISPLAY[name].noun,
  display: { label: DISPLAY[name].label, description: fields.actions[name].description },
  operation: {
    inputFields: fields.actions[name].inputFields,
    perform: perform(name),
    outputFields: fields.actions[name].outputFields,
    sample: fields.actions[name].sample,
  },
});

const creates = Object.keys(DISPLAY).filter((name) => fields.actions[name]).map(create);

module.exports = { creates };
