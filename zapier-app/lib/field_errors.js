'use strict';
/**
 * Turns the hub's 422 field errors ({path: JSON pointer, message}) into one line per field,
 * named by the labels the Zap editor shows ("Menu items #2 › Price: Amount"), never by raw paths.
 */
const { SEP } = require('./names');

// Body fields the app fills in itself: named by the form field that makes the app send them.
const SET_BY_FORM = { callback_url: 'Wait for the POS' };

const pointerParts = (pointer) =>
  String(pointer || '')
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));

/** The field at parts[i..] among fields: an exact key, or a group the form shows flattened (a__b). */
const matchField = (parts, i, current) => {
  if (SET_BY_FORM[parts[i]]) return { label: SET_BY_FORM[parts[i]], field: null, next: i + 1 };
  for (let j = parts.length; j > i; j -= 1) {
    const key = parts.slice(i, j).join(SEP);
    const field = current.find((f) => ((f.meta && f.meta.key) || f.key) === key && f.type !== 'copy');
    if (field) return { label: field.label || field.key, field, next: j };
  }
  for (let j = parts.length; j > i; j -= 1) {
    // The form has no field for an object it shows flattened (Amount off → "Amount off: Amount",
    // "Amount off: Currency"); its first field is the one to fill in, so the error names that.
    const prefix = `${parts.slice(i, j).join(SEP)}${SEP}`;
    const first = current.find((f) => f.key.startsWith(prefix));
    if (first) return { label: first.label || first.key, field: null, next: j };
  }
  return null;
};

/** "Menu items #2 › Price: Amount" for /items/1/price/amount; '' when the pointer names no field. */
const labelForPath = (pointer, inputFields) => {
  const parts = pointerParts(pointer);
  const labels = [];
  let current = inputFields || [];
  let i = 0;
  while (i < parts.length && current) {
    const match = matchField(parts, i, current);
    if (!match) break;
    labels.push(match.label);
    i = match.next;
    current = null;
    if (i < parts.length && /^\d+$/.test(parts[i])) {
      labels[labels.length - 1] += ` #${Number(parts[i]) + 1}`;
      i += 1;
      current = match.field && match.field.children ? match.field.children : null;
    }
  }
  if (!labels.length) return '';
  // Whatever is left lies inside a JSON field (such as Modifiers): entries by number, keys by name.
  const rest = parts.slice(i).map((p) => (/^\d+$/.test(p) ? `#${Number(p) + 1}` : p));
  return [...labels, ...rest].join(' › ');
};

// The hub's own name of a field: items[0].price.amount for /items/0/price/amount.
const hubFieldName = (parts) =>
  parts.reduce((name, p) => (/^\d+$/.test(p) ? `${name}[${p}]` : name ? `${name}.${p}` : p), '');

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The hub's message without its own label ("Amount (items[0].price.amount) must be …" → "must be …"). */
const predicate = (message, pointer) => {
  const text = String(message || '').trim();
  const name = hubFieldName(pointerParts(pointer));
  if (!name) return text;
  const withTitle = new RegExp(`^.*?\\(${escape(name)}\\)\\s+`);
  if (withTitle.test(text)) return text.replace(withTitle, '');
  const bare = new RegExp(`^${escape(name)}\\s+`, 'i');
  return text.replace(bare, '');
};

/** A message whose field the form does not know, keeping the hub's title but not its raw name. */
const withoutRawName = (message, pointer) => {
  const name = hubFieldName(pointerParts(pointer));
  const text = String(message || '').trim();
  return name ? text.replace(` (${name})`, '') : text;
};

/** One line per field: errors of the same field are joined, in the hub's order. */
const fieldErrorLines = (errors, inputFields) => {
  const byLabel = new Map();
  for (const error of errors) {
    const label = labelForPath(error.path, inputFields);
    const what = label ? predicate(error.message, error.path) : withoutRawName(error.message, error.path);
    const said = byLabel.get(label) || [];
    if (!said.includes(what)) said.push(what);
    byLabel.set(label, said);
  }
  return [...byLabel.entries()].map(([label, said]) => {
    const text = said.map((s) => s.replace(/\.+$/, '')).join('; ');
    return label ? `- ${label}: ${text}.` : `- ${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  });
};

module.exports = { fieldErrorLines, labelForPath, predicate };
