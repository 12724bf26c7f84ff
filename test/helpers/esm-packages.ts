/**
 * Jest (on Node before 24.9) cannot require() an ES module; Node itself can (require(esm), Node >= 20.19), and that
 * is how Parley loads the ESM-only `email-reply-parser`. So every test file gets the real package from Node's own
 * loader: not a fake, the very module production runs.
 */
jest.mock('email-reply-parser', () => {
  const { Module } = jest.requireActual<{ Module: { _load(request: string, parent: null, isMain: boolean): unknown } }>(
    'node:module',
  );
  return Module._load(require.resolve('email-reply-parser'), null, false);
});
