/**
 * Replays every saved history in test/fixtures/histories/ (recorded by `npm run histories:record` from an earlier
 * version of the workflow code) against the workflow code as it is now. A change that would make running
 * conversations or inbox watchers fail after a deploy (a new, removed, reordered or renamed activity, timer or
 * upsert without `patched()`) fails here, naming the workflow. No Temporal server: the SDK replays in process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type ReplayResult } from '@temporalio/worker';

const DIR = path.resolve(__dirname, '..', '..', 'fixtures', 'histories');
const FILES = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

interface Saved {
  file: string;
  workflowId: string;
  history: History;
}

/**
 * A file as the recorder writes it (`{workflowId, runId, scenario, events}`), or a bare `{events}` as the Temporal CLI
 * or UI exports it, whose workflow id comes from the start event (its root execution is itself).
 */
function load(file: string): Saved {
  const doc = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as {
    workflowId?: string;
    events: { workflowExecutionStartedEventAttributes?: { rootWorkflowExecution?: { workflowId?: string } } }[];
  };
  const started = doc.events[0]?.workflowExecutionStartedEventAttributes;
  const workflowId = doc.workflowId ?? started?.rootWorkflowExecution?.workflowId ?? path.basename(file, '.json');
  return { file, workflowId, history: historyFromJSON(doc) };
}

const results = new Map<string, ReplayResult>();

beforeAll(async () => {
  // The SDK's default runtime logs every replay worker's start and stop at INFO.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // Bundled from source, as a deploy would ship it (not a bundle prebuilt by the e2e setup).
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const saved = FILES.map(load);
  const replay = Worker.runReplayHistories(
    { workflowBundle: bundle, replayName: 'parley-replay-test' },
    saved.map(({ workflowId, history }) => ({ workflowId, history })),
  );
  // Results come back one per history, in order.
  let i = 0;
  for await (const result of replay) results.set((saved[i++] as Saved).file, result);
}, 120_000);

describe('saved workflow histories replay against the current workflow code', () => {
  it('include a conversation that saw every signal, one that continued-as-new, and an inbox watcher', () => {
    expect(FILES).toEqual(
      expect.arrayContaining(['conversation-every-signal.json', 'conversation-continued.json', 'inbox.json']),
    );
  });

  it.each(FILES)('%s', (file) => {
    const result = results.get(file);
    if (!result) throw new Error(`${file} was not replayed`);
    if (result.error)
      throw new Error(
        `${file}: workflow ${result.workflowId} (run ${result.runId}) does not replay: ` +
          `${result.error.name}: ${result.error.message}`,
      );
  });
});
