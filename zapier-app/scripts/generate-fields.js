#!/usr/bin/env node
'use strict';
/**
 * Builds generated/fields.json (Zapier input fields, output fields and samples) from the hub's
 * JSON Schema contracts in ../schemas, so labels, help texts, types and samples are written once.
 *
 * Usage: node scripts/generate-fields.js [--check]   (--check exits 1 when the file is stale)
 */
const fs = require('fs');
const path = require('path');

const SCHEMAS_DIR = path.resolve(__dirname, '..', '..', 'schemas');
const OUTPUT_FILE = path.resolve(__dirname, '..', 'generated', 'fields.json');

const TRIGGERS = [
  'new_purchase', 'low_stock', 'pos_offline', 'pos_online', 'connection_failing', 'connection_recovered', 'order_status_changed',
];
const ACTIONS = ['update_menu', 'publish_coupon', 'create_order', 'update_order', 'cancel_order', 'adjust_stock'];
const LOOKUPS = ['location', 'connection', 'menu_item', 'coupon', 'order'];

// Lookups without a file of their own in schemas/lookups: the list answers items of this schema.
const LOOKUP_FILES = {};

// Which hidden trigger fills the dropdown of a field, by the field's last key segment.
const DROPDOWNS = {
  location_id: 'locationList.id.name',
  location_ids: 'locationList.id.name',
  connection_id: 'connectionList.id.name',
  connection_ids: 'connectionList.id.name',
  sku: 'menuItemList.sku.name',
  skus: 'menuItemList.sku.name',
  remove_skus: 'menuItemList.sku.name',
  // A coupon code: pick one to change it; Zapier's dropdowns also take a typed value (a new code).
  code: 'couponList.code.name',
  order_id: 'orderList.id.name',
};

// What a dropdown field says in Zapier beyond the schema's description.
const DROPDOWN_HINTS = {
  code: 'Pick an existing coupon to change it, or type a new code.',
  order_id: 'Pick a recent order, or map the Order ID of an earlier step (Create Order, Find Order, Order Status Changed).',
};

// Zapier sends nothing for an empty field, so "empty" cannot mean "remove" in a Zap: fields the
// contract lets you remove are listed in a Clear field of their item instead.
const CLEAR_KEY = 'clear';
const REMOVAL = /\b(remov|clear)/i;
const CLEAR_HINT = 'Leaving it empty keeps the current value; to remove it, name it in Clear.';

/** The schema's description without its own way of removing the value (a JSON null or an empty value). */
function withoutRemovalClause(text) {
  const clause = /[;,]\s*[^;,.]*\b(remov|clear)\w*[^;.]*\.?\s*$/i;
  if (clause.test(text)) return text.replace(clause, '.');
  return text.replace(/(^|\.\s+)[^.]*\b(remov|clear)\w*[^.]*\.?\s*$/i, '$1').trim();
}

// Nested keys are joined with this separator; the app splits them back into a nested body.
const SEP = '__';

function walkJsonFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return walkJsonFiles(full);
    return entry.name.endsWith('.json') ? [full] : [];
  });
}

/** Loads every schema file, indexed by its $id (or a file: URL when it has none). */
function loadSchemas(dir) {
  const byId = new Map();
  for (const file of walkJsonFiles(dir)) {
    const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
    const id = schema.$id || `file://${file}`;
    byId.set(id.split('#')[0], { schema, id, file });
  }
  return byId;
}

function pointerGet(doc, pointer) {
  if (!pointer) return doc;
  return pointer
    .replace(/^\//, '')
    .split('/')
    .reduce((node, part) => (node === undefined ? undefined : node[part.replace(/~1/g, '/').replace(/~0/g, '~')]), doc);
}

class Resolver {
  constructor(byId) {
    this.byId = byId;
  }

  /** Returns {schema, base} for a node, following $ref; sibling keywords override the target's. */
  deref(node, base, seen = new Set()) {
    if (!node || typeof node !== 'object' || !node.$ref) return { schema: node, base };
    const target = new URL(node.$ref, base).href;
    if (seen.has(target)) throw new Error(`circular $ref ${target}`);
    seen.add(target);
    const [docUrl, fragment = ''] = target.split('#');
    const entry = this.byId.get(docUrl);
    if (!entry) throw new Error(`unresolved $ref ${node.$ref} from ${base}`);
    const found = pointerGet(entry.schema, fragment);
    if (found === undefined) throw new Error(`unresolved $ref ${target}`);
    const inner = this.deref(found, entry.id, seen);
    const { $ref, ...siblings } = node;
    const merged = { ...inner.schema, ...siblings };
    if (!siblings.examples && inner.schema.examples) merged.examples = inner.schema.examples;
    return { schema: merged, base: inner.base };
  }

  /** Dereferences and reduces nullable unions (anyOf [X, null], type [X, "null"]) to X. */
  normalize(node, base) {
    let { schema, base: at } = this.deref(node, base);
    for (const key of ['anyOf', 'oneOf']) {
      if (Array.isArray(schema[key])) {
        const branches = schema[key].filter((b) => !(b && b.type === 'null'));
        if (branches.length === 1) {
          const { [key]: _dropped, ...rest } = schema;
          const inner = this.deref(branches[0], at);
          schema = { ...inner.schema, ...rest, nullable: true };
          at = inner.base;
        }
      }
    }
    if (Array.isArray(schema.type)) {
      const types = schema.type.filter((t) => t !== 'null');
      schema = { ...schema, type: types.length === 1 ? types[0] : types, nullable: types.length < schema.type.length };
    }
    return { schema, base: at };
  }

  /** A self-contained draft-07 copy of a schema (refs inlined) for Zapier's json fields. */
  inline(node, base, depth = 0) {
    if (depth > 20) return {};
    if (Array.isArray(node)) return node.map((n) => this.inline(n, base, depth + 1));
    if (!node || typeof node !== 'object') return node;
    const { schema, base: at } = this.deref(node, base);
    const out = {};
    for (const [key, value] of Object.entries(schema)) {
      if (['$id', '$schema', 'examples'].includes(key)) continue;
      if (key === 'properties') {
        out.properties = Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, this.inline(v, at, depth + 1)]),
        );
      } else if (['items', 'anyOf', 'oneOf', 'allOf'].includes(key)) {
        out[key] = this.inline(value, at, depth + 1);
      } else {
        out[key] = value;
      }
    }
    return out;
  }
}

function zapierType(schema) {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'integer' || type === 'number' || type === 'boolean') return type;
  if (type === 'string' && schema.format === 'date-time') return 'datetime';
  if (type === 'string' && (schema.maxLength || 0) > 500) return 'text';
  return 'string';
}

// Output fields know fewer types than input fields: long text is still a string.
function outputType(schema) {
  const type = zapierType(schema);
  return type === 'text' ? 'string' : type;
}

function exampleValue(examples, keyPath) {
  for (const example of examples || []) {
    let value = example;
    for (const key of keyPath) value = value && typeof value === 'object' ? value[key] : undefined;
    if (typeof value === 'string' || typeof value === 'number') return String(value);
  }
  return undefined;
}

function joinLabels(parent, child) {
  if (!parent) return child;
  return child.toLowerCase().includes(parent.toLowerCase()) ? child : `${parent}: ${child}`;
}

function scalarField({ key, schema, label, required, examples, keyPath, lastKey }) {
  const field = { key, label, helpText: schema.description, type: zapierType(schema), required: Boolean(required) };
  if (!field.helpText) delete field.helpText;
  if (Array.isArray(schema.enum)) field.choices = schema.enum.filter((v) => v !== null).map(String);
  if (schema.default !== undefined && schema.default !== null) field.default = String(schema.default);
  const placeholder = field.choices ? undefined : exampleValue(examples, keyPath);
  if (placeholder && field.type !== 'boolean') field.placeholder = placeholder;
  if (DROPDOWNS[lastKey]) field.dynamic = DROPDOWNS[lastKey];
  if (DROPDOWN_HINTS[lastKey]) field.helpText = `${field.helpText || ''} ${DROPDOWN_HINTS[lastKey]}`.trim();
  return field;
}

/** The Clear field of an item whose optional fields can be removed; null when none can. */
function clearField(clearable, depth) {
  if (!clearable.length) return null;
  const names = clearable.map((c) => c.label).join(', ');
  const field = {
    key: CLEAR_KEY,
    label: 'Clear',
    helpText: `Fields to remove (set to empty) on the hub, separated by commas: ${names}.`,
    type: 'string',
    required: false,
    placeholder: clearable[0].label,
    // Which body fields Clear may name, and what removes each (null where the contract allows it).
    meta: { clears: clearable.map((c) => `${c.key}=${c.nullable ? 'null' : 'empty'}`).join(',') },
  };
  if (depth === 0) {
    delete field.placeholder;
    field.list = true;
    field.choices = clearable.map((c) => ({ value: c.label, label: c.label, sample: c.label }));
  } else {
    field.meta.split = ',';
  }
  return field;
}

/**
 * Turns an object schema into Zapier input fields: nested objects flatten to `a__b` keys,
 * scalar arrays become list fields, object arrays become line items (children) at the top level
 * and json fields (with their schema) deeper down.
 */
function inputFields(resolver, node, base, opts = {}) {
  const { prefix = [], parentLabel = '', parentRequired = true, examples = [], depth = 0 } = opts;
  const { schema, base: at } = resolver.normalize(node, base);
  const required = new Set(schema.required || []);
  const fields = [];
  const clearable = [];
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    const { schema: p, base: pBase } = resolver.normalize(prop, at);
    const keyPath = [...prefix, name];
    const key = keyPath.join(SEP);
    const canClear = opts.clearable && !prefix.length && !required.has(name) && REMOVAL.test(p.description || '');
    const label = joinLabels(parentLabel, p.title || name);
    const isRequired = parentRequired && required.has(name);
    const type = Array.isArray(p.type) ? p.type[0] : p.type;
    if (type === 'object' && p.properties) {
      fields.push(
        ...inputFields(resolver, p, pBase, {
          prefix: keyPath, parentLabel: label, parentRequired: isRequired, examples, depth,
        }),
      );
    } else if (type === 'array') {
      const { schema: items, base: itemsBase } = resolver.normalize(p.items || {}, pBase);
      if (items.type === 'object' && depth === 0) {
        const childExamples = examples.flatMap((e) => (Array.isArray(e && e[name]) ? e[name] : []));
        const children = inputFields(resolver, items, itemsBase, {
          prefix: [], parentLabel: '', parentRequired: true, examples: childExamples, depth: depth + 1, clearable: opts.clearable,
        });
        // Zapier ignores helpText on line items, so a copy field above them carries it.
        if (p.description) fields.push({ key: `${key}_help`, label, type: 'copy', helpText: p.description });
        fields.push({ key, label, required: isRequired, children });
      } else if (items.type === 'object') {
        fields.push({
          key, label, helpText: `${p.description || ''} Give it as JSON.`.trim(), type: 'json',
          required: isRequired, schema: resolver.inline(p, pBase),
        });
      } else if (depth === 0) {
        const field = scalarField({ key, schema: { ...items, description: p.description }, label, required: isRequired, examples: [], keyPath, lastKey: name });
        field.list = true;
        fields.push(field);
      } else {
        // Line items cannot hold lists; a comma-separated text is split back by the app.
        const field = scalarField({ key, schema: { ...items, description: `${p.description || ''} Separate several with commas.`.trim() }, label, required: isRequired, examples: [], keyPath, lastKey: name });
        field.meta = { split: ',' };
        fields.push(field);
      }
    } else if (canClear) {
      const description = `${withoutRemovalClause(p.description)} ${CLEAR_HINT}`;
      fields.push(scalarField({ key, schema: { ...p, description }, label, required: isRequired, examples, keyPath, lastKey: name }));
      clearable.push({ key, label, nullable: Boolean(p.nullable) });
    } else {
      fields.push(scalarField({ key, schema: p, label, required: isRequired, examples, keyPath, lastKey: name }));
    }
  }
  const clear = clearField(clearable, depth);
  if (clear) fields.push(clear);
  return fields;
}

/**
 * Zapier wants every input key of a step unique, line items included: a line item's field named
 * like a field of the step (an order's note and a line's note) gets its line items' key in front
 * (lines_note), and keeps its body name in meta.key.
 */
function uniqueKeys(fields) {
  const topKeys = new Set(fields.map((f) => f.key));
  return fields.map((field) => {
    if (!field.children) return field;
    const children = field.children.map((child) => {
      if (!topKeys.has(child.key)) return child;
      return { ...child, key: `${field.key}_${child.key}`, meta: { ...(child.meta || {}), key: child.key } };
    });
    return { ...field, children };
  });
}

/** Turns an output schema into Zapier output fields (`a__b` for nested, `list[]x` for lists of objects). */
function outputFields(resolver, node, base, opts = {}) {
  const { prefix = '', parentLabel = '', depth = 0 } = opts;
  const { schema, base: at } = resolver.normalize(node, base);
  const fields = [];
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    const { schema: p, base: pBase } = resolver.normalize(prop, at);
    const key = `${prefix}${name}`;
    const label = joinLabels(parentLabel, p.title || name);
    const type = Array.isArray(p.type) ? p.type[0] : p.type;
    if (type === 'object' && p.properties && depth < 3) {
      fields.push(...outputFields(resolver, p, pBase, { prefix: `${key}${SEP}`, parentLabel: label, depth: depth + 1 }));
    } else if (type === 'array') {
      const { schema: items, base: itemsBase } = resolver.normalize(p.items || {}, pBase);
      if (items.type === 'object' && items.properties && depth < 2) {
        fields.push(...outputFields(resolver, items, itemsBase, { prefix: `${key}[]`, parentLabel: label, depth: depth + 1 }));
      } else if (items.type !== 'object') {
        fields.push({ key, label, type: outputType(items), list: true });
      }
    } else {
      fields.push({ key, label, type: outputType(p) });
    }
  }
  return fields;
}

/**
 * A text filter whose event field of the same name has a fixed set of values (an order's status)
 * offers those values as choices, so the filter cannot be misspelt.
 */
function withEventChoices(resolver, filters, output) {
  const { schema, base } = resolver.normalize(output.schema, output.id);
  return filters.map((field) => {
    if (field.choices || field.dynamic || !schema.properties || !schema.properties[field.key]) return field;
    const { schema: event } = resolver.normalize(schema.properties[field.key], base);
    if (!Array.isArray(event.enum)) return field;
    const { placeholder, ...rest } = field;
    return { ...rest, choices: event.enum.filter((v) => v !== null).map(String) };
  });
}

function firstExample(resolver, node, base) {
  const { schema } = resolver.deref(node, base);
  return Array.isArray(schema.examples) && schema.examples.length ? schema.examples[0] : undefined;
}

function schemaEntry(byId, dir, relative) {
  const file = path.join(dir, relative);
  for (const entry of byId.values()) if (entry.file === file) return entry;
  return undefined;
}

/** Generates the whole fields document from a schemas directory; pure, so tests can compare. */
function generate(dir = SCHEMAS_DIR) {
  const byId = loadSchemas(dir);
  const resolver = new Resolver(byId);
  const doc = {
    _generated: 'By scripts/generate-fields.js from the hub schemas. Do not edit: run `npm run generate`.',
    triggers: {},
    actions: {},
    lookups: {},
    missing: [],
  };
  const need = (relative) => {
    const entry = schemaEntry(byId, dir, relative);
    if (!entry) doc.missing.push(relative);
    return entry;
  };

  for (const name of TRIGGERS) {
    const output = need(`triggers/${name}.output.json`);
    const filters = need(`triggers/${name}.filters.json`);
    if (!output) continue;
    doc.triggers[name] = {
      title: output.schema.title,
      description: output.schema.description,
      filters: filters ? withEventChoices(resolver, inputFields(resolver, filters.schema, filters.id, { parentRequired: false }), output) : [],
      outputFields: outputFields(resolver, output.schema, output.id),
      sample: firstExample(resolver, output.schema, output.id),
    };
  }
  for (const name of ACTIONS) {
    const input = need(`actions/${name}.input.json`);
    const output = need(`actions/${name}.output.json`);
    if (!input) continue;
    doc.actions[name] = {
      title: input.schema.title,
      description: input.schema.description,
      inputFields: uniqueKeys(inputFields(resolver, input.schema, input.id, { examples: input.schema.examples || [], clearable: true })),
      outputFields: output ? outputFields(resolver, output.schema, output.id) : [],
      sample: output ? firstExample(resolver, output.schema, output.id) : undefined,
    };
  }
  for (const name of LOOKUPS) {
    const lookup = need(LOOKUP_FILES[name] || `lookups/${name}.json`);
    if (!lookup) continue;
    const { schema, base } = resolver.normalize(lookup.schema, lookup.id);
    doc.lookups[name] = {
      title: schema.title,
      description: schema.description,
      fields: Object.fromEntries(
        Object.entries(schema.properties || {}).map(([k, v]) => {
          const { schema: p } = resolver.normalize(v, base);
          return [k, { title: p.title || k, description: p.description || '' }];
        }),
      ),
      outputFields: outputFields(resolver, lookup.schema, lookup.id),
      sample: firstExample(resolver, lookup.schema, lookup.id),
    };
  }
  return JSON.parse(JSON.stringify(doc));
}

function render(doc) {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (require.main === module) {
  const text = render(generate());
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(OUTPUT_FILE) ? fs.readFileSync(OUTPUT_FILE, 'utf8') : '';
    if (current !== text) {
      console.error('generated/fields.json is stale: run `npm run generate`.');
      process.exit(1);
    }
  } else {
    fs.mkdirSync(path.dirname(OUTPUT_FILE), { recursive: true });
    fs.writeFileSync(OUTPUT_FILE, text);
    console.log(`wrote ${path.relative(process.cwd(), OUTPUT_FILE)}`);
  }
}

module.exports = { generate, render, OUTPUT_FILE, SCHEMAS_DIR, SEP };
