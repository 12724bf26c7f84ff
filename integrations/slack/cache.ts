/**
 * What the Slack adapter remembers between batches: a channel's id by its name (the dispatch channel is configured
 * by name, and finding it pages through `conversations.list`). Built once per worker in `createActivities` and
 * passed in, so tests get a fresh one and nothing lives in module scope.
 */

/** Enough for every dispatch channel of every workspace a worker serves; the least recently used go first. */
export const SLACK_CHANNEL_CACHE_MAX = 10_000;

export interface SlackChannelCache {
  /** The channel id of `name` in `workspace`, if known. */
  get(workspace: string, name: string): string | undefined;
  set(workspace: string, name: string, id: string): void;
  readonly size: number;
}

/** An LRU of channel ids by workspace and name, at most `max` entries. */
export function createSlackChannelCache(max = SLACK_CHANNEL_CACHE_MAX): SlackChannelCache {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`a channel cache holds at least one entry, not ${max}`);
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const ids = new Map<string, string>();
  const keyOf = (workspace: string, name: string) => `${workspace}:${name}`;
  return {
    get(workspace, name) {
      const key = keyOf(workspace, name);
      const id = ids.get(key);
      if (id !== undefined) {
        ids.delete(key);
        ids.set(key, id);
      }
      return id;
    },
    set(workspace, name, id) {
      const key = keyOf(workspace, name);
      ids.delete(key);
      ids.set(key, id);
      while (ids.size > max) {
        const oldest = ids.keys().next();
        if (oldest.done) break;
        ids.delete(oldest.value);
      }
    },
    get size() {
      return ids.size;
    },
  };
}
