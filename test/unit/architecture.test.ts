/**
 * The import graph of Parley's source, type-only imports included: ESLint's import-x/no-cycle follows value imports
 * only, and a type cycle (definitions → activities → integrations → definitions, before the domain module) still
 * ties the rooms together. This walks every source file and fails naming the cycle.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const ROOMS = ['common', 'integrations', 'workflows', 'activities', 'api', 'workers'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate));
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of ROOMS.flatMap((room) => sourceFiles(path.join(ROOT, room)))) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles.map((i) => resolve(file, i.fileName)).filter((t): t is string => t !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Tarjan's strongly connected components of more than one file (or a file importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(path.relative(ROOT, w));
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found;
}

describe('the import graph', () => {
  const graph = importGraph();

  it('covers every room', () => {
    for (const room of ROOMS)
      expect([...graph.keys()].some((f) => f.includes(`${path.sep}${room}${path.sep}`))).toBe(true);
  });

  it('has no cycles, counting type-only imports', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const a = path.join(ROOT, 'a.ts');
    const b = path.join(ROOT, 'b.ts');
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual([['a.ts', 'b.ts']]);
  });

  it('keeps integrations/ and common/ free of Temporal and of the rooms above them, type imports included', () => {
    const offenders: string[] = [];
    for (const file of graph.keys()) {
      const rel = path.relative(ROOT, file);
      const room = rel.split(path.sep)[0];
      if (room !== 'integrations' && room !== 'common') continue;
      if (rel === path.join('common', 'codec.ts')) continue; // the payload codec is Temporal's PayloadCodec
      const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
      for (const { fileName } of importedFiles) {
        const target = resolve(file, fileName);
        const targetRoom = target ? path.relative(ROOT, target).split(path.sep)[0] : undefined;
        const above = ['workflows', 'activities', 'api', 'workers', ...(room === 'common' ? ['integrations'] : [])];
        if (fileName.startsWith('@temporalio/') || (targetRoom && above.includes(targetRoom)))
          offenders.push(`${rel} → ${fileName}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
