// Bundles the pure TypeScript modules for node's test runner (npm test runs this first).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, '..', 'src');
export const MODULES = ['format', 'color', 'geo', 'live', 'dom', 'sparkline', 'router', 'places', 'report', 'api'];

await build({
  entryPoints: Object.fromEntries(MODULES.map((m) => [m, join(src, 'lib', `${m}.ts`)])),
  outdir: join(here, '.build'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  splitting: true,
  platform: 'node',
  target: 'node18',
  logLevel: 'warning',
});
