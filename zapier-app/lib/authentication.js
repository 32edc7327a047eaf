'use strict';
/** Connecting a hub: its URL and an automation API key, tested against GET /v1/me. */
const { hubUrl } = require('./hub');

// Scopes whose keys may use triggers, lookups and actions (DESIGN §4); a pos key may not.
const USABLE_SCOPES = ['automation', 'admin'];
// Plain http only reaches a hub on this machine (a hub run locally for `zapier-platform invoke`).
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** Why a hub URL cannot be used, or null: https://, or http:// to a local hub only. */
const hubUrlProblem = (text) => {
  let url;
  try {
    url = new URL(text);
  } catch (_e) {
    url = null;
  }
  const https = url && url.protocol === 'https:' && url.hostname;
  const local = url && url.protocol === 'http:' && LOCAL_HOSTS.includes(url.hostname);
  if (https || local) return null;
  return (
    'The hub URL must start with https:// (for example https://hub.example.com); ' +
    'plain http:// is accepted only for a hub on this computer (http://localhost or http://127.0.0.1).'
  );
};

const test = async (z, bundle) => {
  const problem = hubUrlProblem(String(bundle.authData.hub_url || '').trim());
  if (problem) throw new z.errors.Error(problem, 'InvalidHubUrl', 400);
  const response = await z.request({ url: hubUrl(bundle, '/v1/me') });
  const me = response.data;
  if (!USABLE_SCOPES.includes(me.scope)) {
    throw new z.errors.Error(
      `This API key has the "${me.scope}" scope, which cannot use triggers, dropdowns or actions; ` +
        'Zapier needs the "automation" scope. Create an API key with the automation scope in your hub ' +
        '(or ask your hub administrator for one) and connect again with it.',
      'WrongScope',
      403,
    );
  }
  return me;
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
      helpText:
        'The web address of your POS Hub, as your hub administrator gave it to you. It must start with https:// ' +
        '(http:// only for a hub on this computer, http://localhost).',
    },
    {
      key: 'api_key',
      label: 'API Key',
      type: 'password',
      required: true,
      helpText:
        'An API key with the **automation** scope, created in your hub (an **admin** key works too; a **pos** key does not). ' +
        'It is shown only once when created.',
    },
  ],
  test,
  // The hub's name from /v1/me tells several connected hubs apart.
  connectionLabel: (z, bundle) => (bundle.inputData.hub && bundle.inputData.hub.name) || bundle.inputData.key_id,
};
