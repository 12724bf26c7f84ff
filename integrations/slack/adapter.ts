/**
 * What Parley does in Slack for one outbox batch: make sure the user's channel exists (create it, announce it
 * in the dispatch channel, invite the installer), then post each item once, in order, paced per channel.
 * Every post carries message metadata with Parley's id, so a retry finds what was already posted.
 */
import type { WebClient } from '@slack/web-api';
import { IntegrationError, OutboxBatchError } from '../../common/errors';
import { type OutboxBatch } from '../../common/conversation';
import type { SlackConfig } from './client';
import { slackErrorCode, toSlackIntegrationError } from './errors';
import { channelHeader, dispatchText, mirroredReply, recentHistory, userLabel } from './format';
import { gravatarUrl } from '../../common/text';
import { channelName, randomWords } from './names';

export const METADATA_MESSAGE = 'parley_message';
export const METADATA_CHANNEL = 'parley_channel';
export const METADATA_DISPATCH = 'parley_dispatch';

/** An outbox batch as Slack needs it; `recent` is set when the conversation was reopened since the last send. */
export type SlackBatch = Pick<OutboxBatch, 'userId' | 'conversationId' | 'profile' | 'refs' | 'items' | 'recent'> & {
  appName: string;
};

export interface SlackBatchHooks {
  heartbeat(): void;
  sleep(ms: number): Promise<void>;
  /** Minimum time between two posts in one channel (Slack allows about one a second). */
  postIntervalMs?: number;
}

interface SlackMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toSlackIntegrationError(err);
  }
}

async function ignoring<T>(codes: string[], fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const code = slackErrorCode(err);
    if (code && codes.includes(code)) return undefined;
    throw toSlackIntegrationError(err);
  }
}

/** Ids in `parley_*` metadata of a channel's recent messages, of one event type. */
async function postedIds(client: WebClient, channel: string, eventType: string, key: string): Promise<Set<string>> {
  const res = await call(() => client.conversations.history({ channel, limit: 200, include_all_metadata: true }));
  const ids = new Set<string>();
  for (const m of (res.messages ?? []) as SlackMessage[]) {
    const value = m.metadata?.event_type === eventType ? m.metadata.event_payload?.[key] : undefined;
    if (typeof value === 'string') ids.add(value);
  }
  return ids;
}

const channelIds = new Map<string, string>();

/** A channel's id from its name (the dispatch channel is configured by name), cached per workspace. */
async function channelIdByName(client: WebClient, cacheKey: string, name: string): Promise<string | undefined> {
  const bare = name.replace(/^#/, '');
  if (/^[CG][A-Z0-9]{6,}$/.test(bare)) return bare;
  const cached = channelIds.get(`${cacheKey}:${bare}`);
  if (cached) return cached;
  let cursor: string | undefined;
  do {
    const res = await call(() =>
      client.conversations.list({ types: 'public_channel,private_channel', limit: 200, ...(cursor ? { cursor } : {}) }),
    );
    const found = res.channels?.find((c) => c.name === bare);
    if (found?.id) {
      channelIds.set(`${cacheKey}:${bare}`, found.id);
      return found.id;
    }
    cursor = res.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return undefined;
}

export function createSlackAdapter(client: WebClient, config: SlackConfig, hooks: SlackBatchHooks) {
  const interval = hooks.postIntervalMs ?? 1000;
  const lastPost = new Map<string, number>();
  const cacheKey = `${config.apiUrl}|${config.botToken.slice(-6)}`;

  async function paced(channel: string): Promise<void> {
    const last = lastPost.get(channel);
    const wait = last === undefined ? 0 : last + interval - Date.now();
    if (wait > 0) await hooks.sleep(wait);
    hooks.heartbeat();
  }

  async function post(channel: string, args: Record<string, unknown>): Promise<void> {
    await paced(channel);
    await call(() => client.chat.postMessage({ channel, ...args } as Parameters<WebClient['chat']['postMessage']>[0]));
    lastPost.set(channel, Date.now());
  }

  /** Posts unless a message with the same metadata id is already in the channel. */
  async function postOnce(
    channel: string,
    eventType: string,
    payload: Record<string, string>,
    key: string,
    args: Record<string, unknown>,
  ) {
    const seen = await postedIds(client, channel, eventType, key);
    if (seen.has(payload[key] as string)) return;
    await post(channel, { ...args, metadata: { event_type: eventType, event_payload: payload } });
  }

  async function notifyDispatch(batch: SlackBatch, channelId: string, reopened: boolean): Promise<void> {
    const dispatch = await channelIdByName(client, cacheKey, config.dispatchChannel);
    if (!dispatch)
      throw new IntegrationError('slack_dispatch_channel_not_found', `no channel #${config.dispatchChannel}`, {
        retryable: false,
      });
    await ignoring(['already_in_channel', 'method_not_supported_for_channel_type'], () =>
      client.conversations.join({ channel: dispatch }),
    );
    const text = dispatchText(batch.profile, batch.userId, channelId, batch.appName, reopened);
    await postOnce(
      dispatch,
      METADATA_DISPATCH,
      { conversation_id: batch.conversationId, channel_id: channelId },
      'channel_id',
      {
        text,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text } },
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                action_id: 'parley_join',
                text: { type: 'plain_text', text: 'Join' },
                value: channelId,
                style: 'primary',
              },
            ],
          },
        ],
      },
    );
  }

  /** Is this existing channel the one Parley made for this conversation (a retry after a crash)? */
  async function isOurs(channelId: string, conversationId: string): Promise<boolean> {
    const ids = await ignoring(['not_in_channel', 'channel_not_found'], () =>
      postedIds(client, channelId, METADATA_CHANNEL, 'conversation_id'),
    );
    return ids?.has(conversationId) ?? false;
  }

  async function createChannel(batch: SlackBatch): Promise<{ id: string; name: string }> {
    let useWords = false;
    for (let suffix = 1; suffix <= 50; suffix++) {
      const name = useWords
        ? channelName({}, batch.conversationId, suffix)
        : channelName(batch.profile, batch.conversationId, suffix);
      try {
        const res = await client.conversations.create({ name });
        const id = res.channel?.id;
        if (!id)
          throw new IntegrationError('slack_bad_answer', 'conversations.create returned no channel', {
            retryable: true,
          });
        await post(id, {
          text: channelHeader(batch.profile, batch.userId, batch.appName),
          metadata: { event_type: METADATA_CHANNEL, event_payload: { conversation_id: batch.conversationId } },
        });
        return { id, name };
      } catch (err) {
        const code = slackErrorCode(err);
        if (code === 'name_taken') {
          const existing = await channelIdByNameFresh(name);
          if (existing && !existing.archived && (await isOurs(existing.id, batch.conversationId)))
            return { id: existing.id, name };
          continue;
        }
        if (code?.startsWith('invalid_name') && !useWords) {
          useWords = true;
          suffix = 0;
          continue;
        }
        throw toSlackIntegrationError(err);
      }
    }
    throw new IntegrationError(
      'slack_no_channel_name',
      `no free channel name for ${randomWords(batch.conversationId)}`,
      {
        retryable: false,
      },
    );
  }

  async function channelIdByNameFresh(name: string): Promise<{ id: string; archived: boolean } | undefined> {
    let cursor: string | undefined;
    do {
      const res = await call(() =>
        client.conversations.list({
          types: 'public_channel',
          limit: 200,
          exclude_archived: false,
          ...(cursor ? { cursor } : {}),
        }),
      );
      const found = res.channels?.find((c) => c.name === name);
      if (found?.id) return { id: found.id, archived: found.is_archived === true };
      cursor = res.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return undefined;
  }

  async function openChannel(batch: SlackBatch, refs: Record<string, string>, reopened: boolean): Promise<string> {
    const created = await createChannel(batch);
    refs.slackChannelId = created.id;
    refs.slackChannelName = created.name;
    if (config.installerUserId) {
      await ignoring(['already_in_channel', 'user_not_found', 'cant_invite_self', 'user_is_restricted'], () =>
        client.conversations.invite({ channel: created.id, users: config.installerUserId as string }),
      );
    }
    if (reopened && batch.recent && batch.recent.length > 0) {
      await postOnce(created.id, METADATA_MESSAGE, { message_id: `history:${created.id}` }, 'message_id', {
        text: recentHistory(batch.recent, batch.profile, batch.userId),
      });
    }
    await notifyDispatch(batch, created.id, reopened);
    return created.id;
  }

  return {
    async send(batch: SlackBatch): Promise<{ refs: Record<string, string>; completed: number }> {
      const refs = { ...batch.refs };
      let completed = 0;
      try {
        const postsSomething = batch.items.some((i) => i.kind !== 'conversation:archived');
        let channel = refs.slackChannelId;
        if (channel && batch.recent) {
          // Reopened after an archive: bot tokens are usually refused unarchive, then a fresh channel it is.
          const back = await ignoring(
            [
              'not_authorized',
              'restricted_action',
              'not_archived',
              'missing_scope',
              'method_not_supported_for_channel_type',
            ],
            () => client.conversations.unarchive({ channel: channel as string }),
          );
          const info = await call(() => client.conversations.info({ channel: channel as string }));
          if (!back && info.channel?.is_archived)
            channel = postsSomething ? await openChannel(batch, refs, true) : channel;
        } else if (!channel && postsSomething) {
          channel = await openChannel(batch, refs, false);
        }
        if (!channel) return { refs, completed: batch.items.length };

        let seen = await postedIds(client, channel, METADATA_MESSAGE, 'message_id');
        for (const item of batch.items) {
          if (item.kind === 'conversation:archived') {
            await ignoring(['already_archived'], () => client.conversations.archive({ channel: channel as string }));
          } else if (!seen.has(item.eventId) && item.message) {
            const metadata = {
              event_type: METADATA_MESSAGE,
              event_payload: { message_id: item.eventId, conversation_id: batch.conversationId },
            };
            const args =
              item.kind === 'message:user'
                ? {
                    text: item.message.text,
                    username: userLabel(batch.profile, batch.userId),
                    ...(batch.profile.avatarUrl || batch.profile.email
                      ? { icon_url: batch.profile.avatarUrl ?? gravatarUrl(batch.profile.email as string) }
                      : {}),
                    metadata,
                  }
                : { text: mirroredReply(item.message), metadata };
            try {
              await post(channel, args);
            } catch (err) {
              // Archived behind Parley's back (a lost event): open a fresh channel and go on there.
              if ((err as IntegrationError).code !== 'slack_is_archived') throw err;
              channel = await openChannel(batch, refs, true);
              seen = new Set();
              await post(channel, args);
            }
          }
          completed++;
        }
        return { refs, completed };
      } catch (err) {
        throw new OutboxBatchError(toSlackIntegrationError(err), completed, refs);
      }
    },
  };
}
