'use strict';
/** Talking to the hub: its URL, the API key header, and turning its problem JSON into Zapier errors. */
const fields = require('../generated/fields.json');
const { fieldErrorLines } = require('./field_errors');

/** The absolute URL of a hub path, from the hub URL the user connected with. */
const hubUrl = (bundle, path) => `${String(bundle.authData.hub_url || '').trim().replace(/\/+$/, '')}${path}`;

/** beforeRequest: sends the API key the way the hub expects it. */
const addApiKey = (request, z, bundle) => {
  if (bundle.authData && bundle.authData.api_key) {
    request.headers = { ...request.headers, Authorization: `Bearer ${bundle.authData.api_key}` };
  }
  request.headers = { Accept: 'application/json', ...request.headers };
  return request;
};

const parseProblem = (response) => {
  if (response.data && typeof response.data === 'object') return response.data;
  try {
    return JSON.parse(response.content);
  } catch (_e) {
    return {};
  }
};

/** Seconds to wait from a Retry-After header, which is either seconds or an HTTP date. */
const retryAfterSeconds = (value, now = Date.now()) => {
  if (value === null || value === undefined || value === '') return 60;
  if (/^\d+$/.test(String(value).trim())) return parseInt(value, 10);
  const at = Date.parse(value);
  return Number.isNaN(at) ? 60 : Math.max(1, Math.ceil((at - now) / 1000));
};

// The input fields of the operation a request belongs to, to name bad fields by their labels.
const fieldsForUrl = (url) => {
  const action = /\/v1\/actions\/([a-z_]+)/.exec(url || '');
  if (action && fields.actions[action[1]]) return fields.actions[action[1]].inputFields;
  const trigger = /\/v1\/triggers\/([a-z_]+)/.exec(url || '');
  if (trigger && fields.triggers[trigger[1]]) return fields.triggers[trigger[1]].filters;
  return [];
};

/** Joins texts into sentences without doubling the full stop the hub's texts often end with. */
const sentences = (...parts) =>
  parts
    .filter(Boolean)
    .map((p) => String(p).trim())
    .map((p) => (/[.!?:]$/.test(p) ? p : `${p}.`))
    .join(' ');

const problemText = (problem, status) => {
  const title = problem.title || `The hub answered with status ${status}`;
  return problem.detail ? `${title}: ${problem.detail}` : title;
};

/** afterResponse: maps the hub's error answers to Zapier's error types with messages for people. */
const handleHubErrors = (response, z) => {
  if (response.status < 400 || response.skipThrowForStatus) return response;
  const problem = parseProblem(response);
  const url = response.request && response.request.url;
  if (response.status === 401) {
    throw new z.errors.ExpiredAuthError(
      'The hub did not accept your API key: it may have been revoked, expired or mistyped. ' +
        'Reconnect your POS Hub account with an automation API key from the hub.',
    );
  }
  if (response.status === 403) {
    throw new z.errors.Error(
      sentences(problemText(problem, 403), 'Use an API key with the "automation" scope for Zapier'),
      'Forbidden',
      403,
    );
  }
  if (response.status === 429) {
    const delay = retryAfterSeconds(response.headers.get('retry-after'));
    throw new z.errors.ThrottledError(
      `The hub is busy (too many requests); Zapier will try again in ${delay} seconds.`,
      delay,
    );
  }
  if (response.status === 422 && Array.isArray(problem.errors) && problem.errors.length) {
    // The problem's detail repeats every error with its raw path; the per-field lines replace it.
    const lines = fieldErrorLines(problem.errors, fieldsForUrl(url));
    throw new z.errors.Error(`The hub did not accept some fields:\n${lines.join('\n')}`, 'InvalidData', 422);
  }
  if (response.status === 409 && Array.isArray(problem.errors) && problem.errors.length) {
    // A conflict about one field (an order that is final, a channel order id used by another order).
    const lines = fieldErrorLines(problem.errors, fieldsForUrl(url));
    throw new z.errors.Error(`${problemText(problem, 409)}\n${lines.join('\n')}`, problem.type || 'Conflict', 409);
  }
  throw new z.errors.Error(problemText(problem, response.status), problem.type || 'HubError', response.status);
};

module.exports = { hubUrl, addApiKey, handleHubErrors, retryAfterSeconds, sentences };
