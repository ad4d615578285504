#!/usr/bin/env bash
# Rebuild dashboard/vendor/plotly-yjs.min.js: plotly.js with only the trace types the figures use (scatter,
# bar, choropleth), about 1.4 MB instead of the full bundle's 4.8 MB. dashboard/static.py serves it where
# Dash's renderer loads plotly.js from. Run it after upgrading the plotly Python package: the bundle must
# be the plotly.js version that package was made for (tests/test_static.py checks).
# Needs Node and the npm registry; the tools go to a temporary folder, never into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(python3 -c "from plotly.offline import get_plotlyjs_version; print(get_plotlyjs_version())")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm install --silent --no-audit --no-fund --prefix "$work" -E "plotly.js@$version" esbuild@0.25.12 >/dev/null
cat > "$work/entry.js" <<'JS'
var Plotly = require('plotly.js/lib/core');
Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/choropleth')]);
module.exports = Plotly;
JS
"$work/node_modules/.bin/esbuild" "$work/entry.js" --bundle --minify --format=iife --global-name=Plotly \
  --target=es2016 --define:global=window --define:define.amd=false --loader:.css=empty \
  --log-level=warning \
  --banner:js="/* plotly.js v$version (traces: scatter, bar, choropleth), MIT licence, copyright Plotly, Inc. Built by scripts/build-plotly-bundle.sh */" \
  --outfile=dashboard/vendor/plotly-yjs.min.js
echo "dashboard/vendor/plotly-yjs.min.js: plotly.js $version, $(wc -c < dashboard/vendor/plotly-yjs.min.js) bytes"
