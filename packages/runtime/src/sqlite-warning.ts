/**
 * Drops the ExperimentalWarning node:sqlite prints once on load (Node 22). Services that keep a
 * SQLite store log JSON lines; that one line on stderr says nothing an operator can act on. Call
 * it before the module that imports node:sqlite is loaded.
 */
export function quietSqliteWarning(): void {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning instanceof Error ? warning.message : warning).includes("SQLite")) return;
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}
