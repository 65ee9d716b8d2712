// Builds the web UI into one directory that the outagemap binary embeds.
//
//   node build.mjs --outdir DIR [--dev]
//
// Produces exactly (and beside each file, its gzip copy FILE.gz):
//   DIR/index.html
//   DIR/assets/app.js                    (one minified ES2020 bundle)
//   DIR/assets/app.css
//   DIR/assets/maps/countries-110m.json  (world-atlas, copied)
//   DIR/assets/maps/countries-50m.json   (world-atlas, copied)
//   DIR/assets/maps/states-10m.json      (us-atlas, copied)
// No hashed names: the server sends ETags. --dev keeps the output readable (no minification).
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { outdir: null, dev: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--outdir') args.outdir = argv[++i];
    else if (a.startsWith('--outdir=')) args.outdir = a.slice('--outdir='.length);
    else if (a === '--dev') args.dev = true;
    else if (a === '--quiet') args.quiet = true;
    else throw new Error(`unknown argument ${JSON.stringify(a)} (usage: node build.mjs --outdir DIR [--dev] [--quiet])`);
  }
  if (!args.outdir) throw new Error('--outdir DIR is required');
  return args;
}

export const MAP_FILES = [
  ['world-atlas/countries-110m.json', 'countries-110m.json'],
  ['world-atlas/countries-50m.json', 'countries-50m.json'],
  ['us-atlas/states-10m.json', 'states-10m.json'],
];

export async function buildWeb({ outdir, dev = false, quiet = false }) {
  const out = resolve(outdir);
  // Only remove what this script produces: DIR may be a directory someone else owns.
  await rm(join(out, 'assets'), { recursive: true, force: true });
  await rm(join(out, 'index.html'), { force: true });
  await rm(join(out, 'index.html.gz'), { force: true });
  await mkdir(join(out, 'assets', 'maps'), { recursive: true });

  const common = {
    bundle: true,
    minify: !dev,
    target: 'es2020',
    logLevel: 'warning',
    legalComments: 'none',
    absWorkingDir: here,
  };
  await build({
    ...common,
    entryPoints: ['src/main.ts'],
    outfile: join(out, 'assets', 'app.js'),
    format: 'iife',
    platform: 'browser',
    define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"' },
  });
  await build({
    ...common,
    entryPoints: ['src/app.css'],
    outfile: join(out, 'assets', 'app.css'),
  });
  await copyFile(join(here, 'src', 'index.html'), join(out, 'index.html'));
  for (const [from, to] of MAP_FILES) {
    const src = join(here, 'node_modules', from);
    await copyFile(src, join(out, 'assets', 'maps', to));
  }

  // A gzip copy of every file, embedded beside it: the server answers compressed requests
  // without compressing anything itself (at level 9 that took 0.37 s at every start).
  for (const rel of ['index.html', 'assets/app.js', 'assets/app.css', ...MAP_FILES.map(([, to]) => `assets/maps/${to}`)]) {
    const bytes = await readFile(join(out, rel));
    await writeFile(join(out, rel + '.gz'), gzipSync(bytes, { level: 9 }));
  }

  const js = await readFile(join(out, 'assets', 'app.js'));
  const css = await readFile(join(out, 'assets', 'app.css'));
  const sizes = {
    js: js.length,
    jsGzip: gzipSync(js, { level: 9 }).length,
    css: css.length,
    cssGzip: gzipSync(css, { level: 9 }).length,
  };
  if (!quiet) {
    const kb = (n) => (n / 1024).toFixed(1) + ' KiB';
    console.log(`web: ${out}`);
    console.log(`  assets/app.js   ${kb(sizes.js)} (${kb(sizes.jsGzip)} gzip -9)`);
    console.log(`  assets/app.css  ${kb(sizes.css)} (${kb(sizes.cssGzip)} gzip -9)`);
    for (const [, to] of MAP_FILES) {
      const s = await stat(join(out, 'assets', 'maps', to));
      console.log(`  assets/maps/${to}  ${kb(s.size)}`);
    }
  }
  return sizes;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildWeb(parseArgs(process.argv.slice(2)));
  } catch (err) {
    console.error(`build.mjs: ${err.message ?? err}`);
    process.exit(1);
  }
}
