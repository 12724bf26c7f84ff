import { defaultCachedWorkflows, localSendLimit, slowLocalSendMs, workerTuning } from '../../../workers/worker';

describe('the sticky cache sized from the heap', () => {
  it('keeps 250 conversations per GiB of heap above 200 MiB', () => {
    expect(defaultCachedWorkflows(4096)).toBe(951);
    expect(defaultCachedWorkflows(1224)).toBe(250);
    // A tiny heap still caches a few.
    expect(defaultCachedWorkflows(128)).toBe(10);
  });

  it('is the default unless PARLEY_WORKER_MAX_CACHED_WORKFLOWS says otherwise', () => {
    expect(workerTuning({}).maxCachedWorkflows).toBe(defaultCachedWorkflows());
    expect(workerTuning({ PARLEY_WORKER_MAX_CACHED_WORKFLOWS: '5000' }).maxCachedWorkflows).toBe(5000);
    expect(() => workerTuning({ PARLEY_WORKER_MAX_CACHED_WORKFLOWS: 'lots' })).toThrow(
      /PARLEY_WORKER_MAX_CACHED_WORKFLOWS/,
    );
  });
});

describe('the local sends a worker runs', () => {
  it('are half its workflow-task slots unless PARLEY_WORKER_MAX_LOCAL_SENDS says otherwise', () => {
    expect(localSendLimit({})).toBe(20);
    expect(localSendLimit({ PARLEY_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '2' })).toBe(1);
    expect(localSendLimit({ PARLEY_WORKER_MAX_LOCAL_SENDS: '0' })).toBe(0);
    expect(localSendLimit({ PARLEY_WORKER_MAX_LOCAL_SENDS: '8' })).toBe(8);
    expect(() => localSendLimit({ PARLEY_WORKER_MAX_LOCAL_SENDS: '-1' })).toThrow(/PARLEY_WORKER_MAX_LOCAL_SENDS/);
    expect(() => localSendLimit({ PARLEY_WORKER_MAX_LOCAL_SENDS: 'many' })).toThrow(/PARLEY_WORKER_MAX_LOCAL_SENDS/);
  });

  it('leave sends slower than 500 ms on average to the regular activity unless told another threshold', () => {
    expect(slowLocalSendMs({})).toBe(500);
    expect(slowLocalSendMs({ PARLEY_WORKER_SLOW_LOCAL_SEND_MS: '2000' })).toBe(2000);
    expect(() => slowLocalSendMs({ PARLEY_WORKER_SLOW_LOCAL_SEND_MS: 'slow' })).toThrow(
      /PARLEY_WORKER_SLOW_LOCAL_SEND_MS/,
    );
  });
});
