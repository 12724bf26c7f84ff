/** Figures as markdown: percentiles, tables, and the machine and settings every table is printed with. */
import os from 'node:os';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
}

export function latencies(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function machine(): string {
  const cpus = os.cpus();
  const gib = os.totalmem() / 1024 ** 3;
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${gib.toFixed(1)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** Prints one figure: a title, the machine, the settings, and a markdown table. */
export function printTable(
  title: string,
  settings: Record<string, string | number>,
  header: string[],
  rows: (string | number)[][],
  notes: string[] = [],
): void {
  const lines = [
    `### ${title}`,
    '',
    `Machine: ${machine()}. Settings: ${Object.entries(settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}.`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    ...(notes.length ? ['', ...notes] : []),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The worker tuning settings in effect (environment variables the worker reads), for every table. */
export function workerSettings(): Record<string, string> {
  const set = Object.entries(process.env).filter(
    ([k, v]) => k.startsWith('PARLEY_WORKER_') && k !== 'PARLEY_WORKER_METRICS_PORT' && v,
  ) as [string, string][];
  const settings: Record<string, string> = set.length ? Object.fromEntries(set) : { worker: 'defaults' };
  if (process.env.BENCH_DYNAMIC_CONFIG) settings.serverDynamicConfig = process.env.BENCH_DYNAMIC_CONFIG;
  if (process.env.NODE_OPTIONS) settings.NODE_OPTIONS = process.env.NODE_OPTIONS;
  return settings;
}

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number`);
  return value;
}

export function envList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  return raw ? raw.split(',').map(Number) : fallback;
}
