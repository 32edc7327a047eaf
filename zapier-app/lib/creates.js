'use strict';
/** Actions: update menu items and publish a coupon; the hub answers 202 with the action run. */
const fields = require('../generated/fields.json');
const { hubUrl } = require('./hub');
const { buildBody } = require('./body');
const { WAIT_FIELD, finalRun } = require('./action_runs');

const DISPLAY = {
  update_menu: { key: 'update_menu', noun: 'Menu Item', label: 'Update Menu Item(s)' },
  publish_coupon: { key: 'publish_coupon', noun: 'Coupon', label: 'Publish Coupon' },
};

// The hub calls this URL back (contract C); the app fills it in, so the form never shows it.
const SET_BY_APP = ['callback_url'];

const formFields = (name) => fields.actions[name].inputFields.filter((f) => !SET_BY_APP.includes(f.key));

const wantsToWait = (inputData) => ['true', 'yes', '1', 'on'].includes(String(inputData[WAIT_FIELD.key]).trim().toLowerCase());

/**
 * Sends the action. With "Wait for the POS" on, the hub is given Zapier's callback URL and the step
 * stays waiting until the hub posts the finished run to it (then performResume answers).
 */
const perform = (name) => async (z, bundle) => {
  const inputData = bundle.inputData || {};
  const body = buildBody(formFields(name), inputData);
  if (wantsToWait(inputData)) body.callback_url = z.generateCallbackUrl();
  const response = await z.request({ url: hubUrl(bundle, `/v1/actions/${name}`), method: 'POST', body });
  return response.data;
};

const create = (name) => ({
  key: DISPLAY[name].key,
  noun: DISPLAY[name].noun,
  display: { label: DISPLAY[name].label, description: fields.actions[name].description },
  operation: {
    inputFields: [...formFields(name), WAIT_FIELD],
    perform: perform(name),
    // The hub's callback body is the finished run: only it decides what the step outputs.
    performResume: (z, bundle) => finalRun(z, bundle.cleanedRequest),
    outputFields: fields.actions[name].outputFields,
    sample: fields.actions[name].sample,
  },
});

const creates = Object.keys(DISPLAY).filter((name) => fields.actions[name]).map(create);

module.exports = { creates };
