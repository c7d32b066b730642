// The deployment files parse and say what operations rely on: docker-compose.yml (no Docker
// engine here, so we parse rather than `docker compose config`), the LiveKit and Prometheus
// configs, the Dockerfile, and the Helm chart (values.yaml and Chart.yaml strictly; templates
// after replacing their {{ }} expressions, since Helm is not available to render them).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const read = (...p: string[]) => readFileSync(join(root, ...p), 'utf8');
const yamlFile = (...p: string[]): unknown => parse(read(...p), { merge: true, strict: true });

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  volumes?: string[];
  environment?: Record<string, string>;
  entrypoint?: string[];
}
const compose = () => yamlFile('docker-compose.yml') as { services: Record<string, ComposeService> };

const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);

describe('docker-compose.yml', () => {
  it('runs the whole stack: data stores, LiveKit, SIP, egress, MinIO, monitoring and every role', () => {
    const names = Object.keys(compose().services);
    for (const s of ['redis', 'postgres', 'livekit', 'sip', 'egress', 'minio', 'minio-init', 'prometheus', 'grafana', 'migrate', 'api', 'scheduler', 'dialer', 'agent', 'sinks']) {
      expect(names, s).toContain(s);
    }
  });

  it('keeps Redis durable and never evicting', () => {
    const cmd = compose().services.redis?.command?.join(' ') ?? '';
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--maxmemory-policy noeviction');
  });

  it('runs migrations once before any role, and every role from the one image', () => {
    const { services } = compose();
    expect(services.migrate).toMatchObject({ command: ['migrate'], restart: 'no', image: 'outdial:local' });
    expect(services.migrate?.build).toBeDefined();
    for (const role of ['api', 'scheduler', 'dialer', 'agent', 'sinks']) {
      const s = services[role];
      expect(s?.image, role).toBe('outdial:local');
      expect(s?.command, role).toEqual([role]);
      expect(s?.depends_on?.migrate?.condition, role).toBe('service_completed_successfully');
      expect(s?.environment?.REDIS_URL, role).toBe('redis://redis:6379');
    }
  });

  it('gives the dialer and the agent time to finish calls in flight on stop', () => {
    const { services } = compose();
    for (const role of ['dialer', 'agent']) expect(seconds(services[role]?.stop_grace_period ?? '')).toBeGreaterThanOrEqual(330);
  });

  it('creates the recordings bucket in a one-shot MinIO client', () => {
    const init = compose().services['minio-init'];
    expect(init?.restart).toBe('no');
    expect(init?.entrypoint?.join(' ')).toContain('mc mb --ignore-existing local/recordings');
  });

  it('mounts only files that exist, and those files parse', () => {
    for (const s of Object.values(compose().services)) {
      for (const v of s.volumes ?? []) {
        const host = v.split(':')[0] ?? '';
        if (!host.startsWith('./')) continue;
        expect(existsSync(join(root, host)), host).toBe(true);
        if (/\.ya?ml$/.test(host)) expect(() => yamlFile(host)).not.toThrow();
      }
    }
  });
});

describe('LiveKit and Prometheus configs', () => {
  it('point LiveKit, SIP and egress at the same Redis and key pair', () => {
    const lk = yamlFile('deploy', 'livekit', 'livekit.yaml') as { redis: { address: string }; keys: Record<string, string>; webhook: { urls: string[] } };
    const sip = yamlFile('deploy', 'livekit', 'sip.yaml') as { redis: { address: string }; api_key: string; api_secret: string };
    const egress = yamlFile('deploy', 'livekit', 'egress.yaml') as { redis: { address: string }; api_key: string; api_secret: string; s3: { bucket: string } };
    expect(sip.redis.address).toBe(lk.redis.address);
    expect(egress.redis.address).toBe(lk.redis.address);
    expect(lk.keys[sip.api_key]).toBe(sip.api_secret);
    expect(lk.keys[egress.api_key]).toBe(egress.api_secret);
    expect(egress.s3.bucket).toBe('recordings');
    expect(lk.webhook.urls).toContain('http://api:3000/livekit/webhook');
    const env = compose().services.api?.environment ?? {};
    expect(env.LIVEKIT_API_KEY).toContain(sip.api_key);
  });

  it('scrapes every role that compose runs', () => {
    const prom = yamlFile('prometheus', 'prometheus.yml') as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const targets = prom.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    for (const role of ['api', 'scheduler', 'dialer', 'agent', 'sinks']) expect(targets).toContain(`${role}:3000`);
    expect(prom.scrape_configs.map((c) => c.job_name).filter((j) => j.startsWith('outdial-'))).toHaveLength(5);
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  it('is multi-stage, installs production dependencies without the CUDA download, and runs as a non-root user', () => {
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(text).toContain('npm ci --omit=dev');
    expect(text).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^ENTRYPOINT \[.*"node", "bin\/outdial.js"\]$/m);
  });
});

/** A template with its Helm expressions replaced: directive-only lines dropped, inline expressions become a scalar. */
function flattenTemplate(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*\{\{-?[^}]*-?\}\}\s*$/.test(line))
    .map((line) => line.replace(/\{\{-?.*?-?\}\}/g, 'x'))
    .join('\n');
}

describe('Helm chart charts/outdial', () => {
  const dir = join(root, 'charts', 'outdial');
  interface RoleValues { enabled: boolean; replicas: number; terminationGracePeriodSeconds: number; resources: { requests: object }; pdb: { enabled: boolean } }
  const values = () => yamlFile('charts', 'outdial', 'values.yaml') as { roles: Record<string, RoleValues>; existingSecret: string; keda: { enabled: boolean } };

  it('has a valid Chart.yaml and a values.yaml that configures every role', () => {
    expect(yamlFile('charts', 'outdial', 'Chart.yaml')).toMatchObject({ apiVersion: 'v2', name: 'outdial', type: 'application' });
    const v = values();
    expect(Object.keys(v.roles).sort()).toEqual(['agent', 'api', 'dialer', 'scheduler', 'sinks']);
    for (const [role, r] of Object.entries(v.roles)) {
      expect(r.replicas, role).toBeGreaterThan(0);
      expect(r.resources.requests, role).toBeDefined();
      expect(r.pdb.enabled, role).toBe(true);
    }
    expect(v.existingSecret).not.toBe('');
    expect(v.keda.enabled).toBe(false);
  });

  it('lets the dialer and the agent drain longer than the longest default call', () => {
    const v = values();
    for (const role of ['dialer', 'agent']) expect(v.roles[role]?.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(330);
  });

  it('templates parse as YAML once expressions are replaced, and produce the expected kinds', () => {
    const kinds: string[] = [];
    for (const file of readdirSync(join(dir, 'templates')).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(flattenTemplate(readFileSync(join(dir, 'templates', file), 'utf8')))) {
        expect(doc.errors, file).toEqual([]);
        const obj = doc.toJS() as { kind?: string } | null;
        if (obj?.kind) kinds.push(obj.kind);
      }
    }
    for (const k of ['Deployment', 'Service', 'Ingress', 'PodDisruptionBudget', 'Job', 'ScaledObject', 'TriggerAuthentication', 'ServiceAccount']) {
      expect(kinds).toContain(k);
    }
  });

  it('runs migrations as a pre-install/pre-upgrade hook and scales the dialer on the dial wait list', () => {
    const job = read('charts', 'outdial', 'templates', 'migrate-job.yaml');
    expect(job).toContain('"helm.sh/hook": pre-install,pre-upgrade');
    expect(job).toContain('args: ["migrate"]');
    const keda = read('charts', 'outdial', 'templates', 'keda.yaml');
    expect(keda).toContain('printf "%s:dial:wait"');
  });

  it('references the Secret and the grace period from values in every Deployment', () => {
    const dep = read('charts', 'outdial', 'templates', 'deployments.yaml');
    expect(dep).toContain('name: {{ $.Values.existingSecret }}');
    expect(dep).toContain('terminationGracePeriodSeconds: {{ $cfg.terminationGracePeriodSeconds }}');
    expect(dep).toContain('replicas: {{ $cfg.replicas }}');
  });
});
