/**
 * Erasing a user in Slack, as far as a bot token can: the dispatch notices that name the user no longer do, and
 * each of the conversation's `sk-` channels is renamed to an anonymous name and archived. A bot cannot delete a
 * channel or other people's messages, so the channels' messages stay (archived); the answer says so.
 */
import type { WebClient } from '@slack/web-api';
import type { ErasureEntry, VendorErasure } from '../../common/erasure';
import type { SlackConfig } from './client';
import { slackErrorCode, toSlackIntegrationError } from './errors';
import { METADATA_DISPATCH } from './adapter';

export interface SlackErasureInput {
  conversationId: string;
  appName: string;
  /** The conversation's references (`slackChannelId`, `slackChannelName`). */
  refs: Record<string, string>;
  /** What the channels are renamed to (`sk-erased-…`); the second gets `-2`, and so on. */
  anonymousName: string;
}

export interface SlackErasureHooks {
  heartbeat(): void;
}

interface SlackMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/** The name an erased user's channels get: nothing of the user, unique by the random part the workflow chose. */
export function erasedChannelName(seed: string): string {
  return `sk-erased-${
    seed
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 12) || 'user'
  }`;
}

/** What a dispatch notice says once its user is erased. */
export function erasedNoticeText(appName: string): string {
  return `A conversation from ${appName}: its user's data was erased.`;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toSlackIntegrationError(err);
  }
}

/** Slack's error code when `fn` fails with one of `codes`, else the call's result; anything else is thrown. */
async function attempt<T>(codes: string[], fn: () => Promise<T>): Promise<{ ok: T } | { refused: string }> {
  try {
    return { ok: await fn() };
  } catch (err) {
    const code = slackErrorCode(err);
    if (code !== undefined && codes.includes(code)) return { refused: code };
    throw toSlackIntegrationError(err);
  }
}

/** The dispatch channel's id: configured by name (as the adapter finds it) or as an id. */
async function dispatchChannelId(client: WebClient, name: string): Promise<string | undefined> {
  const bare = name.replace(/^#/, '');
  if (/^[CG][A-Z0-9]{6,}$/.test(bare)) return bare;
  let cursor: string | undefined;
  do {
    const res = await call(() =>
      client.conversations.list({
        types: 'public_channel,private_channel',
        limit: 200,
        ...(cursor ? { cursor } : {}),
      }),
    );
    const found = res.channels?.find((c) => c.name === bare);
    if (found?.id) return found.id;
    cursor = res.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return undefined;
}

export function createSlackEraser(client: WebClient, config: Pick<SlackConfig, 'dispatchChannel'>) {
  /** The conversation's dispatch notices among the dispatch channel's last 200 messages, with their channels. */
  async function notices(dispatch: string, conversationId: string): Promise<{ ts: string; channel?: string }[]> {
    const res = await attempt(['not_in_channel', 'channel_not_found'], () =>
      client.conversations.history({ channel: dispatch, limit: 200, include_all_metadata: true }),
    );
    if ('refused' in res) return [];
    const found: { ts: string; channel?: string }[] = [];
    for (const m of (res.ok.messages ?? []) as SlackMessage[]) {
      const payload = m.metadata?.event_type === METADATA_DISPATCH ? m.metadata.event_payload : undefined;
      if (!m.ts || payload?.conversation_id !== conversationId) continue;
      const channel = payload.channel_id;
      found.push({ ts: m.ts, ...(typeof channel === 'string' ? { channel } : {}) });
    }
    return found;
  }

  async function anonymiseNotice(dispatch: string, ts: string, appName: string, out: VendorErasure): Promise<void> {
    const text = erasedNoticeText(appName);
    const res = await attempt(['message_not_found', 'cant_update_message', 'is_archived'], () =>
      client.chat.update({
        channel: dispatch,
        ts,
        text,
        // An empty list removes the Join button; the metadata no longer names the conversation.
        blocks: [],
        metadata: { event_type: METADATA_DISPATCH, event_payload: { erased: true } },
      }),
    );
    const entry = { system: 'slack', kind: 'dispatch_notice', id: `${dispatch}/${ts}` };
    if ('ok' in res)
      out.erased.push({ ...entry, detail: `the notice in #${config.dispatchChannel} no longer names the user` });
    else if (res.refused !== 'message_not_found')
      out.remains.push({ ...entry, detail: `Slack refused to update the notice (${res.refused}): delete it by hand` });
  }

  /** Renames the channel (a free anonymous name) and archives it; what stays is said in `remains`. */
  async function eraseChannel(channel: string, name: string, taken: Set<string>, out: VendorErasure): Promise<void> {
    const info = await attempt(['channel_not_found'], () => client.conversations.info({ channel }));
    if ('refused' in info) {
      out.erased.push({ system: 'slack', kind: 'channel', id: channel, detail: 'the channel no longer exists' });
      return;
    }
    const oldName = info.ok.channel?.name ?? channel;
    // A retry after the rename: the channel has its anonymous name already.
    let newName: string | undefined = oldName.startsWith(name) ? oldName : undefined;
    if (newName) taken.add(newName);
    let refusal: string | undefined;
    for (let n = 1; newName === undefined && n <= 20; n++) {
      const candidate = n === 1 ? name : `${name}-${n}`;
      if (taken.has(candidate)) continue;
      const res = await attempt(['name_taken', 'is_archived', 'not_authorized', 'not_in_channel'], () =>
        client.conversations.rename({ channel, name: candidate }),
      );
      if ('ok' in res) newName = candidate;
      else if (res.refused !== 'name_taken') {
        refusal = res.refused;
        break;
      }
      taken.add(candidate);
    }
    const archived = await attempt(['already_archived', 'not_in_channel', 'restricted_action'], () =>
      client.conversations.archive({ channel }),
    );
    const isArchived = 'ok' in archived || archived.refused === 'already_archived';
    const done = [
      ...(newName && newName !== oldName ? [`renamed to #${newName}`] : []),
      ...('ok' in archived ? ['archived'] : []),
    ];
    if (done.length > 0) out.erased.push({ system: 'slack', kind: 'channel', id: channel, detail: done.join(' and ') });
    // The report names channels by id and anonymous name only: an old name (`sk-jane-doe`) is the user's data.
    const why: string[] = [];
    if (!newName)
      why.push(
        refusal === 'is_archived'
          ? 'it was archived before, so it keeps its old name (Slack does not rename archived channels, and a bot cannot unarchive them)'
          : `Slack refused to rename it (${refusal ?? 'no free name'}), so it keeps its old name`,
      );
    if (!isArchived) why.push(`Slack refused to archive it (${'refused' in archived ? archived.refused : '?'})`);
    const remains: ErasureEntry = {
      system: 'slack',
      kind: 'channel',
      id: channel,
      detail:
        `${newName ? `#${newName}` : `channel ${channel}`} keeps its messages (the user's, posted under their name, and ` +
        `the team's): a bot cannot delete a channel; a workspace admin can delete it in Slack` +
        (why.length > 0 ? `; ${why.join('; ')}` : ''),
    };
    out.remains.push(remains);
  }

  return {
    async erase(input: SlackErasureInput, hooks: SlackErasureHooks): Promise<VendorErasure> {
      const out: VendorErasure = { erased: [], remains: [] };
      hooks.heartbeat();
      const dispatch = await dispatchChannelId(client, config.dispatchChannel);
      const found = dispatch ? await notices(dispatch, input.conversationId) : [];
      const channels = [
        ...new Set([
          ...(input.refs.slackChannelId ? [input.refs.slackChannelId] : []),
          ...found.flatMap((n) => (n.channel ? [n.channel] : [])),
        ]),
      ];
      for (const notice of found) {
        hooks.heartbeat();
        await anonymiseNotice(dispatch as string, notice.ts, input.appName, out);
      }
      if (dispatch === undefined)
        out.remains.push({
          system: 'slack',
          kind: 'dispatch_notice',
          detail: `no channel #${config.dispatchChannel}: its notices about this user, if any, were not looked for`,
        });
      const taken = new Set<string>();
      for (const channel of channels) {
        hooks.heartbeat();
        await eraseChannel(channel, input.anonymousName, taken, out);
      }
      return out;
    },
  };
}
