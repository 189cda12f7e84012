import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built bin, as npm links it (tests run after `npm run build`). */
export const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "src", "cli.js");
