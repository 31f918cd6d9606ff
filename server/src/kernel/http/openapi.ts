import { z } from 'zod';
import type { RouteSpec } from './route.js';

const jsonSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });

/** OpenAPI 3.1 built from the mounted routes' own schemas, so it always says what the code does. */
export function openApiDocument(publicUrl: string, mounted: readonly RouteSpec<z.ZodType, z.ZodType>[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of mounted) {
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const params: Record<string, unknown>[] = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    // Query parameters from the route's own zod object, so they cannot drift either.
    const query = r.query ? (jsonSchema(r.query) as { properties?: Record<string, unknown>; required?: string[] }) : {};
    for (const [name, schema] of Object.entries(query.properties ?? {})) params.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
    const security = r.access === 'public' || r.access === 'website' ? [] : [{ session: [] }, { bearer: [] }];
    paths[path] ??= {};
    paths[path][r.method] = {
      summary: r.summary,
      tags: [r.tag],
      ...(params.length ? { parameters: params } : {}),
      security,
      ...(r.access !== 'public' && r.access !== 'website' ? { 'x-roles': r.access } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses: {
        '200': { description: 'OK', ...(r.response ? { content: { 'application/json': { schema: jsonSchema(r.response) } } } : {}) },
        '400': { $ref: '#/components/responses/Error' },
        ...(security.length ? { '401': { $ref: '#/components/responses/Error' }, '403': { $ref: '#/components/responses/Error' } } : {}),
        '429': { $ref: '#/components/responses/Error' },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Switchboard API', version: '0.1.0', description: 'REST API of the Switchboard server. Real-time APIs are WebSockets at /ws/agent and /ws/widget.' },
    servers: [{ url: publicUrl }],
    paths,
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'sb_session' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      responses: {
        Error: {
          description: 'An error the client can act on',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: {
                      code: { type: 'string' },
                      message: { type: 'string' },
                      fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, problem: { type: 'string' } } } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}
