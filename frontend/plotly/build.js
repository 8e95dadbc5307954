// Builds ../../dashboard/vendor/plotly-custom.min.js: plotly.js core (scatter) plus the trace types in
// traces.json, with plotly's own esbuild settings (CSS inlined, NODE_DEBUG off). Run by `make plotly-bundle`.
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');
const { environmentPlugin } = require('esbuild-plugin-environment');

const { traces } = JSON.parse(fs.readFileSync(path.join(__dirname, 'traces.json'), 'utf8'));
const version = require('plotly.js/package.json').version;
const entry = [
  "var Plotly = require('plotly.js/lib/core');",
  `Plotly.register([${traces.map((t) => `require('plotly.js/lib/${t}')`).join(', ')}]);`,
  'module.exports = Plotly;',
].join('\n');
const outfile = path.join(__dirname, '..', '..', 'dashboard', 'vendor', 'plotly-custom.min.js');

esbuild
  .build({
    stdin: { contents: entry, resolveDir: __dirname, sourcefile: 'entry.js' },
    outfile,
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    legalComments: 'eof',
    banner: { js: `/* plotly.js v${version} partial bundle: core (scatter), ${traces.join(', ')}. MIT licence. */` },
    plugins: [InlineCSSPlugin(), environmentPlugin({ NODE_DEBUG: false })],
    alias: { stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false' },
    target: 'es2016',
    logLevel: 'info',
  })
  .catch(() => process.exit(1));
