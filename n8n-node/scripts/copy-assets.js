// Copies the node icons (nodes/<Node>/*.svg) beside the compiled nodes in dist/, where n8n looks
// for `icon: 'file:posHub.svg'`; tsc only emits the TypeScript (and imported JSON).
const { copyFileSync, mkdirSync, readdirSync } = require('node:fs');
const { resolve } = require('node:path');

const root = resolve(__dirname, '..');
for (const node of readdirSync(resolve(root, 'nodes'))) {
	for (const file of readdirSync(resolve(root, 'nodes', node)).filter((name) => name.endsWith('.svg'))) {
		mkdirSync(resolve(root, 'dist', 'nodes', node), { recursive: true });
		copyFileSync(resolve(root, 'nodes', node, file), resolve(root, 'dist', 'nodes', node, file));
	}
}
