// Copies the first example of each trigger contract (schemas/triggers/<name>.output.json) into
// nodes/PosHubTrigger/samples.json, which "Fetch Test Event" shows when no event matches yet.
// A copy rather than a build step, so the package also builds outside this repository;
// test/contract.test.ts fails when the copy is stale: run `npm run samples` then.
const { readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { resolve } = require('node:path');

const triggers = resolve(__dirname, '..', '..', 'schemas', 'triggers');
const samples = {};
for (const file of readdirSync(triggers).filter((name) => name.endsWith('.output.json')).sort()) {
	const schema = JSON.parse(readFileSync(resolve(triggers, file), 'utf8'));
	samples[file.replace(/\.output\.json$/, '')] = schema.examples[0];
}
writeFileSync(resolve(__dirname, '..', 'nodes', 'PosHubTrigger', 'samples.json'), `${JSON.stringify(samples, null, '\t')}\n`);
