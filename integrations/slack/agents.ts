/**
 * Who is an agent of an app in Slack (`slack.agents`): a listed user id, or a member of a listed user group. A
 * group's members come from `usergroups.users.list`, kept a minute and for a bounded number of groups, so a busy
 * channel does not ask Slack at every `/sk`, and someone taken out of the group loses access within that minute.
 * Built once per API process (api/slack.ts), so tests get a fresh one and nothing lives in module scope.
 */
import type { WebClient } from '@slack/web-api';
import type { IntegrationError } from '../../common/errors';
import { toSlackIntegrationError } from './errors';

/** How long a group's members are trusted before Slack is asked again. */
export const AGENT_GROUP_TTL_MS = 60_000;
/** Enough groups for every app an API process serves; the least recently used go first. */
export const AGENT_GROUP_CACHE_MAX = 1_000;

/** A user group id (`S…`); anything else in `agents` is a user id. */
export function isUserGroupId(id: string): boolean {
  return id.startsWith('S');
}

export interface AgentQuestion {
  /** The app's token: it reads the groups' members. */
  client: WebClient;
  /** Whose groups these are (the app id): two apps never share a cached answer. */
  workspace: string;
  /** `slack.agents`; undefined lets every member of the workspace in. */
  agents: readonly string[] | undefined;
  userId: string;
}

export interface SlackAgentDirectory {
  /**
   * Whether `userId` may act as an agent. Throws the IntegrationError of a group Slack would not list when the user
   * is in none of the others: unknown is no, and the caller says so.
   */
  isAgent(question: AgentQuestion): Promise<boolean>;
  /** Groups held (for tests of the bound). */
  readonly size: number;
}

interface Entry {
  at: number;
  members: Promise<ReadonlySet<string>>;
}

export function createSlackAgentDirectory(
  options: { ttlMs?: number; max?: number; now?: () => number } = {},
): SlackAgentDirectory {
  const ttl = options.ttlMs ?? AGENT_GROUP_TTL_MS;
  const max = options.max ?? AGENT_GROUP_CACHE_MAX;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`an agent cache holds at least one group, not ${max}`);
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const groups = new Map<string, Entry>();

  function members(client: WebClient, workspace: string, group: string): Promise<ReadonlySet<string>> {
    const key = `${workspace}:${group}`;
    const held = groups.get(key);
    groups.delete(key);
    if (held && now() - held.at < ttl) {
      groups.set(key, held);
      return held.members;
    }
    const asked = client.usergroups.users
      .list({ usergroup: group })
      .then((res) => new Set(res.users ?? []))
      .catch((err: unknown) => {
        // A failed answer is not kept: the next question asks again.
        if (groups.get(key)?.members === asked) groups.delete(key);
        throw toSlackIntegrationError(err);
      });
    groups.set(key, { at: now(), members: asked });
    while (groups.size > max) {
      const oldest = groups.keys().next();
      if (oldest.done) break;
      groups.delete(oldest.value);
    }
    return asked;
  }

  return {
    async isAgent({ client, workspace, agents, userId }) {
      if (agents === undefined) return true;
      if (agents.includes(userId)) return true;
      let failure: IntegrationError | undefined;
      for (const group of agents.filter(isUserGroupId)) {
        try {
          if ((await members(client, workspace, group)).has(userId)) return true;
        } catch (err) {
          failure ??= toSlackIntegrationError(err);
        }
      }
      if (failure !== undefined) throw failure;
      return false;
    },
    get size() {
      return groups.size;
    },
  };
}
