/**
 * Generated messages → the JSON Triton's HTTP API sends: proto field names (snake_case) rather than proto3 JSON's
 * lowerCamelCase, enum names, oneofs flattened (the generated toJSON does the last two).
 */
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Renames object keys to snake_case, recursively; `keepKeysOf` names map fields whose keys are data. */
export function snakeKeys(value: unknown, keepKeysOf: ReadonlySet<string> = new Set(['parameters'])): unknown {
  if (Array.isArray(value)) return value.map((v) => snakeKeys(v, keepKeysOf));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = snake(key);
    out[name] = keepKeysOf.has(name)
      ? Object.fromEntries(Object.entries(v as object).map(([k, inner]) => [k, snakeKeys(inner, keepKeysOf)]))
      : snakeKeys(v, keepKeysOf);
  }
  return out;
}
