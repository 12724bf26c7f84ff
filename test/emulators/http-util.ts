/** Plumbing shared by the HTTP emulators: reading a request body, and the queue of scripted faults. */
import type http from 'node:http';

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Faults answered to the next requests whose path matches (a string: contained; a RegExp: tested), in order. */
export function createFaultQueue<A extends { method?: string }>() {
  const faults: { pattern: string | RegExp; answer: A; remaining: number }[] = [];
  return {
    push(pattern: string | RegExp, answer: A, times = 1): void {
      faults.push({ pattern, answer, remaining: times });
    },
    clear(): void {
      faults.length = 0;
    },
    take(method: string, path: string): A | undefined {
      const i = faults.findIndex(
        (f) =>
          (f.answer.method === undefined || f.answer.method.toUpperCase() === method) &&
          (typeof f.pattern === 'string' ? path.includes(f.pattern) : f.pattern.test(path)),
      );
      const fault = faults[i];
      if (!fault) return undefined;
      if (--fault.remaining <= 0) faults.splice(i, 1);
      return fault.answer;
    },
  };
}

/** The body as bytes, for endpoints that take a file as it is (Zendesk's uploads). */
export function readRawBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
