/**
 * The OpenAPI document without Temporal: valid OpenAPI 3.1 whose schemas a strict JSON Schema 2020-12 validator
 * compiles, ids as the config holds them, exactly the routes the Express app serves under /v1, and each route's key
 * (client or admin) as the app enforces it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import Ajv2020 from 'ajv/dist/2020';
import { z } from 'zod';
import { createApp } from '../../../api/app';
import { createOpenApiDocument } from '../../../api/openapi';
import { jsonValue, userIdParam } from '../../../api/schemas';
import { appIdSchema, configSchema } from '../../../common/config';
import { createLogger } from '../../../common/logger';
import type { Validator as ValidatorClass } from '@seriousme/openapi-schema-validator' with {
  'resolution-mode': 'import',
};

// The validator is ESM-only; Jest cannot require() it, Node's own loader can (as in test/helpers/esm-packages.ts).
const { Module } = jest.requireActual<{ Module: { _load(request: string, parent: null, isMain: boolean): unknown } }>(
  'node:module',
);
const { Validator } = Module._load(require.resolve('@seriousme/openapi-schema-validator'), null, false) as {
  Validator: typeof ValidatorClass;
};

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a JSON document read loosely
const doc = createOpenApiDocument('https://parley.example') as Json;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Every operation of the document as `METHOD /path`. */
function documented(): string[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((m) => `${m.toUpperCase()} ${path}`),
  );
}

/** Follows a local `$ref` (`#/components/…`). */
function deref(value: Json): Json {
  if (typeof value.$ref !== 'string') return value;
  return value.$ref
    .slice(2)
    .split('/')
    .reduce((node: Json, key) => node[key] as Json, doc);
}

/** JSON pointers (RFC 6901) of every schema object the document holds. */
function schemaPointers(node: unknown, pointer = ''): string[] {
  if (typeof node !== 'object' || node === null) return [];
  const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
  return Object.entries(node).flatMap(([key, value]) => {
    const here = `${pointer}/${esc(key)}`;
    if (key === 'schema' && !pointer.startsWith('/components/schemas')) return [here];
    if (pointer === '/components/schemas') return [here];
    return schemaPointers(value, here);
  });
}

/** Every object in the document that has `key`, by JSON pointer. */
function holders(node: unknown, key: string, pointer = ''): string[] {
  if (typeof node !== 'object' || node === null) return [];
  return [
    ...(key in node ? [pointer || '/'] : []),
    ...Object.entries(node).flatMap(([k, v]) => holders(v, key, `${pointer}/${k}`)),
  ];
}

interface ListedRoute {
  path: string | RegExp;
  methods?: string[];
  router?: Listable;
}
/** Express 5's router (the `router` package, 2.3+) lists what it serves: `router.listRoutes()`. */
interface Listable {
  listRoutes(): ListedRoute[];
}

/** What the Express app really serves, as `METHOD /path` with `{param}`s, walking mounted routers. */
function served(router: Listable, prefix = ''): string[] {
  return router.listRoutes().flatMap((route) => {
    if (typeof route.path !== 'string')
      throw new Error(`a route by RegExp cannot be documented: ${String(route.path)}`);
    const path = `${prefix}/${route.path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
    if (route.router) return served(route.router, path);
    const openApiPath = path.replace(/:(\w+)/g, '{$1}');
    return (route.methods ?? []).filter((m) => m !== 'HEAD').map((m) => `${m} ${openApiPath}`);
  });
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('holds schemas a strict JSON Schema 2020-12 validator compiles, and no `$id`', () => {
    // The OpenAPI validator checks the document's structure but takes any object as a schema; Ajv in strict mode
    // refuses unknown keywords, misplaced `$id`s and refs that go nowhere. OAS 3.1 adds a few keywords of its own.
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
    // The document's top level is no schema: only the parts the schemas refer to (`#/components/...`) are compiled.
    ajv.addVocabulary(['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components']);
    ajv.addSchema(doc, 'urn:parley:openapi');
    const pointers = schemaPointers(doc);
    expect(pointers.length).toBeGreaterThan(30);
    for (const pointer of pointers) {
      const schema = pointer
        .slice(1)
        .split('/')
        .reduce((node: Json, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')] as Json, doc);
      expect([pointer, ajv.validateSchema(schema), ajv.errors]).toEqual([pointer, true, null]);
      expect(() => ajv.compile({ $ref: `urn:parley:openapi#${pointer}` })).not.toThrow();
    }
    expect(holders(doc, '$id')).toEqual([]);
  });

  it('gives every component a stable name', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['PostMessage', 'UserProfile', 'Message', 'Conversation', 'Error', 'JsonValue']),
    );
    expect(holders(doc.components.schemas, '$defs')).toEqual([]);
    expect(JSON.stringify(doc)).not.toMatch(/__schema|__shared/);
  });

  it('holds appId to the pattern the config holds app ids to, and userId to what the API accepts', () => {
    // What the config validates app ids with, as zod itself renders it.
    const configPattern = z.toJSONSchema(appIdSchema).pattern;
    expect(configPattern).toBe('^[a-z0-9][a-z0-9_-]{0,62}$');
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      if (!path.startsWith('/v1/')) continue;
      for (const method of METHODS.filter((m) => m in item)) {
        const params = (item[method].parameters as Json[]).map(deref);
        const appId = params.find((p) => p.name === 'appId');
        expect(appId).toMatchObject({ in: 'path', required: true });
        expect(appId?.schema.pattern).toBe(configPattern);
        if (path.includes('{userId}')) {
          const userId = params.find((p) => p.name === 'userId');
          expect(userId).toMatchObject({ in: 'path', required: true, schema: { minLength: 1, maxLength: 256 } });
          expect(new RegExp(userId?.schema.pattern as string, 'u').test('a\u0000b')).toBe(false);
        }
      }
    }
    // The pattern accepts and refuses what the config does.
    const pattern = new RegExp(deref({ $ref: '#/components/parameters/AppId' }).schema.pattern as string);
    for (const id of ['acme', 'a', 'acme-2_b', 'x'.repeat(63), 'Acme', '-acme', 'a b', 'x'.repeat(64), '']) {
      expect([id, pattern.test(id)]).toEqual([id, appIdSchema.safeParse(id).success]);
    }
    expect(userIdParam.safeParse('x'.repeat(257)).success).toBe(false);
  });

  it('takes servers from server.publicUrl, and none without it', () => {
    expect(doc.servers).toEqual([{ url: 'https://parley.example' }]);
    expect(createOpenApiDocument()).not.toHaveProperty('servers');
    // Built once per createApp; a second build (tests start several apps in one process) is the same document.
    expect(createOpenApiDocument('https://parley.example')).toEqual(doc);
  });

  it('documents the error shape on every /v1 route, and the body errors where a body is read', () => {
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      if (!path.startsWith('/v1/')) continue;
      for (const method of METHODS.filter((m) => m in item)) {
        const responses = item[method].responses as Json;
        const statuses = ['401', '403', '404', ...(method === 'post' || method === 'put' ? ['400', '413', '415'] : [])];
        for (const status of statuses) {
          expect([method, path, status, responses[status]?.content['application/json'].schema]).toEqual([
            method,
            path,
            status,
            { $ref: '#/components/schemas/Error' },
          ]);
        }
      }
    }
    expect(doc.security).toEqual([{ clientKey: [] }]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['adminKey', 'clientKey']);
    for (const scheme of Object.values(doc.components.securitySchemes as Json))
      expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    // No key needed; an admin key shows the checks.
    expect(doc.paths['/readyz'].get.security).toEqual([{}, { adminKey: [] }]);
  });

  it('says which key each /v1 route takes: admin for integrations and outbox resume, client for the rest', () => {
    const v1Routes = documented().filter((r) => / \/v1\//.test(r));
    const adminRoutes = v1Routes.filter((route) => {
      const [method, path] = route.split(' ') as [string, string];
      const security = (doc.paths as Json)[path][method.toLowerCase()].security as Json[] | undefined;
      expect([route, security ?? doc.security]).toEqual([
        route,
        path.includes('/integrations') || path.endsWith('/outboxes/resume') ? [{ adminKey: [] }] : [{ clientKey: [] }],
      ]);
      return security !== undefined;
    });
    expect(adminRoutes.sort()).toEqual([
      'DELETE /v1/apps/{appId}/integrations/helpscout',
      'DELETE /v1/apps/{appId}/integrations/zendesk',
      'GET /v1/apps/{appId}/integrations',
      'POST /v1/apps/{appId}/integrations/helpscout/connect',
      'POST /v1/apps/{appId}/integrations/slack/install-link',
      'POST /v1/apps/{appId}/integrations/zendesk/connect',
      'POST /v1/apps/{appId}/integrations/{name}/check',
      'POST /v1/apps/{appId}/users/{userId}/outboxes/resume',
    ]);
    for (const route of v1Routes) {
      const [method, path] = route.split(' ') as [string, string];
      const forbidden = (doc.paths as Json)[path][method.toLowerCase()].responses['403'].description as string;
      expect([route, forbidden]).toEqual([route, expect.stringContaining('`forbidden_scope`')]);
    }
  });

  it('documents exactly the routes the Express app serves under /v1, and health', () => {
    const config = configSchema.parse({ apps: [{ id: 'acme', apiKeys: ['k'.repeat(16)] }] });
    const app = createApp({
      // Building the routers calls nothing on Temporal; no request is made here.
      temporal: {} as unknown as Client,
      config,
      taskQueue: 'unused',
      log: createLogger({ level: 'silent' }),
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
    });
    const routes = served(app.router as unknown as Listable);
    const inDocument = (route: string) =>
      / \/v1\//.test(route) || / \/(healthz|readyz)$/.test(route) || route === 'GET /files/{fileId}';
    expect(routes.filter(inDocument).sort()).toEqual(documented().sort());
    expect(routes).toContain('POST /v1/apps/{appId}/users/{userId}/messages');
    expect(routes).toContain('DELETE /v1/apps/{appId}/users/{userId}');
    expect(documented()).toHaveLength(22);
  });

  it('enforces the key each route documents: the other scope gets 403 forbidden_scope before anything runs', async () => {
    const clientKey = 'sk_acme_0123456789abcdef';
    const adminKey = 'sk_admin_0123456789abcdef';
    const config = configSchema.parse({ admin: { keys: [adminKey] }, apps: [{ id: 'acme', apiKeys: [clientKey] }] });
    const app = createApp({
      // The scope is checked before any route touches Temporal: a call on this stand-in would throw a 500.
      temporal: {} as unknown as Client,
      config,
      taskQueue: 'unused',
      log: createLogger({ level: 'silent' }),
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
    });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const route of documented().filter((r) => / \/v1\//.test(r))) {
        const [method, path] = route.split(' ') as [string, string];
        const operation = (doc.paths as Json)[path][method.toLowerCase()] as Json;
        const takesAdmin = JSON.stringify(operation.security ?? doc.security) === '[{"adminKey":[]}]';
        const url = path.replace('{appId}', 'acme').replace('{userId}', 'u1').replace('{name}', 'sink');
        const res = await fetch(`${base}${url}`, {
          method,
          headers: {
            authorization: `Bearer ${takesAdmin ? clientKey : adminKey}`,
            ...(operation.requestBody ? { 'content-type': 'application/json' } : {}),
          },
          ...(operation.requestBody ? { body: '{}' } : {}),
        });
        const body = (await res.json()) as Json;
        expect([route, res.status, body.error?.code]).toEqual([route, 403, 'forbidden_scope']);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the shared JSON value schema', () => {
  it('accepts and refuses exactly what z.json() does', () => {
    const values: unknown[] = [
      'a',
      0,
      -1.5,
      true,
      null,
      [],
      {},
      [1, 'a', [null, { b: [true] }]],
      { a: { b: { c: [1, { d: null }] } } },
      undefined,
      NaN,
      Infinity,
      new Date(0),
      () => 1,
      Symbol('s'),
      10n,
      [undefined],
      { a: undefined },
      { a: [1, () => 1] },
    ];
    for (const value of values) {
      expect([value, jsonValue.safeParse(value).success]).toEqual([value, z.json().safeParse(value).success]);
    }
  });
});
