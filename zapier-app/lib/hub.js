'use strict';
/** Talking to the hub: its URL, the API key header, and turning its problem JSON into Zapier errors. */
const fields = require('../generated/fields.json');
const { SEP } = require('./names');

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

/** Names a JSON pointer such as /items/0/price/amount by the labels the user sees ("Menu items #1 › Price: Amount"). */
const labelForPath = (pointer, inputFields) => {
  const parts = String(pointer || '')
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const labels = [];
  let current = inputFields;
  let i = 0;
  while (i < parts.length && current) {
    let match = null;
    for (let j = parts.length; j > i && !match; j -= 1) {
      const key = parts.slice(i, j).join(SEP);
      const field = current.find((f) => f.key === key);
      if (field) match = { field, next: j };
    }
    if (!match) break;
    labels.push(match.field.label || match.field.key);
    i = match.next;
    current = null;
    if (i < parts.length && /^\d+$/.test(parts[i])) {
      labels[labels.length - 1] += ` #${Number(parts[i]) + 1}`;
      i += 1;
      current = match.field.children || null;
    }
  }
  if (!labels.length) return pointer || '';
  return i < parts.length ? `${labels.join(' › ')} (${pointer})` : labels.join(' › ');
};

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
      `${problemText(problem, 403)}. Use an API key with the "automation" scope for Zapier.`,
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
    const inputFields = fieldsForUrl(url);
    const lines = problem.errors.map((e) => {
      const label = labelForPath(e.path, inputFields);
      return label ? `- ${label}: ${e.message}` : `- ${e.message}`;
    });
    throw new z.errors.Error(`${problemText(problem, 422)}\n${lines.join('\n')}`, 'InvalidData', 422);
  }
  throw new z.errors.Error(problemText(problem, response.status), problem.type || 'HubError', response.status);
};

module.exports = { hubUrl, addApiKey, handleHubErrors, labelForPath, retryAfterSeconds };
