import { defaultCachedWorkflows, workerTuning } from '../../../workers/worker';

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
