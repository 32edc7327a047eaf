'use strict';
/** Connecting a hub: its URL and an automation API key, tested against GET /v1/me. */
const { hubUrl } = require('./hub');

const test = async (z, bundle) => {
  const url = String(bundle.authData.hub_url || '').trim();
  if (!/^https?:\/\/[^\s/]+/i.test(url)) {
    throw new z.errors.Error('The hub URL must start with https:// (for example https://hub.example.com).', 'InvalidHubUrl', 400);
  }
  const response = await z.request({ url: hubUrl(bundle, '/v1/me') });
  return response.data;
};

module.exports = {
  type: 'custom',
  fields: [
    {
      key: 'hub_url',
      label: 'Hub URL',
      type: 'string',
      required: true,
      placeholder: 'https://hub.example.com',
      helpText: 'The web address of your POS Hub, as your hub administrator gave it to you.',
    },
    {
      key: 'api_key',
      label: 'API Key',
      type: 'password',
      required: true,
      helpText: 'An API key with the **automation** scope, created in your hub. It is shown only once when created.',
    },
  ],
  test,
  // The hub's name from /v1/me tells several connected hubs apart.
  connectionLabel: (z, bundle) => (bundle.inputData.hub && bundle.inputData.hub.name) || bundle.inputData.key_id,
};
