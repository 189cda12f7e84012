// Bundles the dashboard's page into dist/dashboard-ui/ (one script, one stylesheet, one HTML
// file), so `npm start` serves it from the package with nothing fetched at run time. Type-checking
// is tsc's (dashboard-ui/tsconfig.json); esbuild only strips types and bundles Preact in.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ui = join(root, "dashboard-ui");
const out = join(root, "dist", "dashboard-ui");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(ui, "main.tsx")],
  outfile: join(out, "app.js"),
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "warning",
});
copyFileSync(join(ui, "index.html"), join(out, "index.html"));
copyFileSync(join(ui, "app.css"), join(out, "app.css"));
