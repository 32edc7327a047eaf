'use strict';
const fs = require('fs');
const path = require('path');
const { generate, render, OUTPUT_FILE, SCHEMAS_DIR } = require('../scripts/generate-fields');

const readSchema = (relative) => JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, relative), 'utf8'));

test('generated/fields.json matches the current schemas (run `npm run generate` if not)', () => {
  expect(fs.readFileSync(OUTPUT_FILE, 'utf8')).toBe(render(generate()));
});

test('every contract the app needs was found', () => {
  expect(generate().missing).toEqual([]);
});

test('field labels, help texts and samples come from the schemas', () => {
  const doc = generate();
  const filters = readSchema('triggers/low_stock.filters.json');
  const location = doc.triggers.low_stock.filters.find((f) => f.key === 'location_id');
  expect(location.label).toBe(filters.properties.location_id.title);
  expect(location.helpText).toBe(filters.properties.location_id.description);
  expect(doc.triggers.low_stock.sample).toEqual(readSchema('triggers/low_stock.output.json').examples[0]);
});

test('enums become choices and nested money becomes two flat fields', () => {
  const fields = Object.fromEntries(generate().actions.publish_coupon.inputFields.map((f) => [f.key, f]));
  expect(fields.discount_type.choices).toEqual(readSchema('actions/publish_coupon.input.json').properties.discount_type.enum);
  expect(fields.amount_off__amount.type).toBe('string');
  expect(fields.amount_off__currency.label).toMatch(/Currency/);
});

test('nested event fields are offered to later Zap steps with their titles', () => {
  const output = Object.fromEntries(generate().triggers.new_purchase.outputFields.map((f) => [f.key, f]));
  expect(output['location__name'].label).toBe('Location name');
  expect(output['lines[]sku']).toBeDefined();
  expect(output.id.type).toBe('integer');
});
