/**
 * An object with exactly these fields, else the error `fail` makes of the problem. Hand-written
 * rather than a schema library: it runs for every request the aggregator takes, and is hot.
 */
export function exactObject(
  value: unknown,
  path: string,
  fields: readonly string[],
  fail: (problem: string) => Error,
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail(`${path} must be an object with fields ${fields.join(", ")}`);
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (!fields.includes(key)) throw fail(`${path}.${key.slice(0, 40)} is not a known field`);
  }
  for (const field of fields) {
    if (!Object.hasOwn(object, field)) throw fail(`${path}.${field} is missing`);
  }
  return object;
}
