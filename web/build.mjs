// Build the dashboard into ../src/ecociv/web/static/ (committed, so that the Python package needs
// no npm at run time): app.js bundled by esbuild with Leaflet and js-yaml, plus the page, the
// style sheet and Leaflet's CSS and marker images copied as they are.
import { build } from "esbuild";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "ecociv", "web", "static");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "images"), { recursive: true });

await build({
  entryPoints: [join(here, "src", "main.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile: join(out, "app.js"),
  legalComments: "eof",
  logLevel: "info",
});
cpSync(join(here, "src", "index.html"), join(out, "index.html"));
cpSync(join(here, "src", "style.css"), join(out, "style.css"));
const leaflet = join(here, "node_modules", "leaflet", "dist");
cpSync(join(leaflet, "leaflet.css"), join(out, "leaflet.css"));
cpSync(join(leaflet, "images"), join(out, "images"), { recursive: true });
writeFileSync(join(out, "BUILT.txt"),
  "Built from web/ by `npm ci && npm run build`; do not edit these files by hand.\n");
