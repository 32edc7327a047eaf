'use strict';
/** Builds the hub's nested JSON body from Zapier's flat input, guided by the generated fields. */
const { SEP } = require('./names');

const isEmpty = (value) =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '') ||
  (Array.isArray(value) && value.length === 0);

const toBoolean = (value) => {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['true', 'yes', 'y', '1', 'on'].includes(text)) return true;
  if (['false', 'no', 'n', '0', 'off'].includes(text)) return false;
  return value; // left as given so the hub names the field in its error
};

const toNumber = (value) => {
  if (typeof value === 'number') return value;
  const number = Number(String(value).trim());
  return Number.isNaN(number) ? value : number;
};

const parseJson = (value) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (_e) {
    return value;
  }
};

/** Converts one Zapier value to the JSON type its field declares. */
const coerce = (field, value) => {
  if (field.type === 'json') return parseJson(value);
  if (field.meta && field.meta.split) {
    const list = Array.isArray(value) ? value : String(value).split(field.meta.split);
    return list.map((v) => String(v).trim()).filter(Boolean);
  }
  const one = (v) => {
    if (field.type === 'boolean') return toBoolean(v);
    if (field.type === 'integer' || field.type === 'number') return toNumber(v);
    return typeof v === 'string' ? v.trim() : v;
  };
  if (field.list) return (Array.isArray(value) ? value : [value]).filter((v) => !isEmpty(v)).map(one);
  return one(value);
};

const setPath = (target, path, value) => {
  let node = target;
  path.slice(0, -1).forEach((part) => {
    node[part] = node[part] && typeof node[part] === 'object' ? node[part] : {};
    node = node[part];
  });
  node[path[path.length - 1]] = value;
};

/**
 * The fields a Clear field names, set to what removes them (null, or "" where the contract has no
 * null). Names are the labels the form shows (or the keys); an unknown name fails the step.
 */
const clearedFields = (clearField, value, inputFields) => {
  const removers = Object.fromEntries(
    String(clearField.meta.clears).split(',').map((entry) => entry.split('=')),
  );
  const names = (Array.isArray(value) ? value : String(value).split(','))
    .map((v) => String(v).trim())
    .filter(Boolean);
  const cleared = {};
  for (const name of names) {
    const field = inputFields.find(
      (f) => f.key in removers && (f.key === name || String(f.label).toLowerCase() === name.toLowerCase()),
    );
    if (!field) {
      const known = inputFields.filter((f) => f.key in removers).map((f) => f.label).join(', ');
      throw new Error(`Clear: "${name}" is not a field that can be removed here; use one of: ${known}.`);
    }
    cleared[field.key] = removers[field.key] === 'null' ? null : '';
  }
  return cleared;
};

/** The request body for a list of generated input fields and the values Zapier collected. */
const buildBody = (inputFields, inputData) => {
  const body = {};
  for (const field of inputFields) {
    const value = inputData[field.key];
    if (isEmpty(value)) continue;
    // A line item field renamed to keep the step's keys unique carries its body name in meta.key.
    const path = ((field.meta && field.meta.key) || field.key).split(SEP);
    if (field.meta && field.meta.clears) {
      Object.entries(clearedFields(field, value, inputFields)).forEach(([key, empty]) => setPath(body, key.split(SEP), empty));
    } else if (field.children) {
      const rows = (Array.isArray(value) ? value : [value]).filter((row) => row && typeof row === 'object');
      const built = rows.map((row) => buildBody(field.children, row)).filter((row) => Object.keys(row).length);
      if (built.length) setPath(body, path, built);
    } else {
      const coerced = coerce(field, value);
      if (!isEmpty(coerced)) setPath(body, path, coerced);
    }
  }
  return body;
};

module.exports = { buildBody, isEmpty };
