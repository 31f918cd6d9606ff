import { z } from 'zod';

/**
 * Every key path a schema accepts (`server.tls.cert`, `queues[].skills[].level`), used to check
 * that docs/config-reference.md documents every key the code reads.
 */
export function keyPaths(schema: z.ZodType, prefix = ''): string[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) {
    return Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([k, v]) => {
      const path = prefix ? `${prefix}.${k}` : k;
      const inner = keyPaths(v, path);
      return inner.length ? inner : [path];
    });
  }
  if (s instanceof z.ZodArray) return keyPaths(s.element as z.ZodType, `${prefix}[]`);
  if (s instanceof z.ZodDiscriminatedUnion || s instanceof z.ZodUnion) {
    return [...new Set((s.options as z.ZodType[]).flatMap((o) => keyPaths(o, prefix)))];
  }
  return [];
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable || cur instanceof z.ZodDefault) cur = cur.unwrap() as z.ZodType;
    else if (cur instanceof z.ZodPipe) cur = cur.in as z.ZodType;
    else return cur;
  }
}
